"""The AWS CDK app: `cdk deploy` -> an HTTPS endpoint on ECS Fargate serving the model from S3."""
