"""The two stacks: storage (ECR + model bucket, deployed first) and the service that uses them."""
