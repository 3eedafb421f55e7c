#!/usr/bin/env bash
# Deploy facesim to AWS: bootstrap, storage stack, both images to ECR, the model to S3, the service
# stack, then print the HTTPS URL. `--dry-run` prints every command and touches nothing.
#
#   scripts/deploy.sh --domain api.example.com --hosted-zone-id Z123 --hosted-zone-name example.com
#
# Why two stacks: the task definition names an image tag and a model object that must exist before
# ECS starts a task (infra/stacks/storage.py). Docs: README.md "Deploy to AWS", docs/DEPLOY.md.
set -euo pipefail

cd "$(dirname "$0")/.."
exec 3>&1 # the printed commands go here, even from inside $(...)

STORAGE_STACK=FacesimStorage
SERVICE_STACK=FacesimService
OUT_DIR=.cache/deploy

usage() {
  cat <<'USAGE'
usage: scripts/deploy.sh [options]

  --domain NAME             public name, e.g. api.example.com (HTTPS); without it: the flagged
                            plain-HTTP fallback on the load balancer's own DNS name
  --hosted-zone-id ID       Route 53 zone holding NAME (certificate validation + alias record)
  --hosted-zone-name ZONE   that zone's name, e.g. example.com
  --certificate-arn ARN     instead of a hosted zone: an existing ACM certificate for NAME
  --region REGION           default: $AWS_REGION, $AWS_DEFAULT_REGION or `aws configure get region`
  --model PATH              the .h5 to serve (default models/facesim-lfw-1.2.0.h5; the .json
                            manifest beside it is published too)
  --image-tag TAG           default: the git commit (clean tree) or dev-<UTC timestamp>
  --api-key-secret-arn ARN  Secrets Manager secret whose value becomes API_KEYS
  -c KEY=VALUE              any other CDK context key (infra/config.py), repeatable
  --yes                     no approval prompt for IAM/security-group changes
  --dry-run                 print every command; call nothing that reaches AWS or Docker
  -h, --help                this text
USAGE
}

die() {
  echo "deploy.sh: $*" >&2
  exit 2
}

DRY_RUN=0
YES=0
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
DOMAIN=""
ZONE_ID=""
ZONE_NAME=""
CERT_ARN=""
MODEL="models/facesim-lfw-1.2.0.h5"
IMAGE_TAG=""
API_KEY_SECRET_ARN=""
EXTRA_CONTEXT=()

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --yes) YES=1 ;;
    --region) REGION="${2:?--region needs a value}"; shift ;;
    --domain) DOMAIN="${2:?--domain needs a value}"; shift ;;
    --hosted-zone-id) ZONE_ID="${2:?--hosted-zone-id needs a value}"; shift ;;
    --hosted-zone-name) ZONE_NAME="${2:?--hosted-zone-name needs a value}"; shift ;;
    --certificate-arn) CERT_ARN="${2:?--certificate-arn needs a value}"; shift ;;
    --model) MODEL="${2:?--model needs a value}"; shift ;;
    --image-tag) IMAGE_TAG="${2:?--image-tag needs a value}"; shift ;;
    --api-key-secret-arn) API_KEY_SECRET_ARN="${2:?--api-key-secret-arn needs a value}"; shift ;;
    -c | --context) EXTRA_CONTEXT+=(-c "${2:?-c needs KEY=VALUE}"); shift ;;
    -h | --help) usage; exit 0 ;;
    *) usage >&2; die "unknown argument: $1" ;;
  esac
  shift
done

# --- helpers: every command goes through `run` (printed; executed unless --dry-run) -------------

# Print a command as it would be typed: plain words bare, others single-quoted. A dry run's
# <placeholders> stay readable (they stand for values that only AWS can answer).
show() {
  local arg line="+"
  for arg in "$@"; do
    if [[ "$arg" =~ ^[A-Za-z0-9_@%+=:,./\<\>-]+$ ]]; then
      line+=" $arg"
    else
      line+=" '${arg//\'/\'\\\'\'}'"
    fi
  done
  echo "$line" >&3
}

run() {
  show "$@"
  if ((DRY_RUN == 0)); then
    "$@"
  fi
}

# Run a command for its output; in a dry run print it and answer PLACEHOLDER instead.
capture() {
  local placeholder="$1"
  shift
  if ((DRY_RUN)); then
    show "$@"
    echo "$placeholder"
  else
    "$@"
  fi
}

# One value from a `cdk deploy --outputs-file` JSON.
stack_output() {
  local file="$1" stack="$2" key="$3"
  if ((DRY_RUN)); then
    echo "<$key output of $stack>"
  else
    python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]][sys.argv[3]])' \
      "$file" "$stack" "$key"
  fi
}

# --- inputs ---------------------------------------------------------------------------------------
if [[ -n "$DOMAIN" && -z "$CERT_ARN" && (-z "$ZONE_ID" || -z "$ZONE_NAME") ]]; then
  die "--domain needs --hosted-zone-id and --hosted-zone-name, or --certificate-arn"
fi
if [[ -z "$DOMAIN" && (-n "$ZONE_ID" || -n "$ZONE_NAME" || -n "$CERT_ARN") ]]; then
  die "--hosted-zone-id/--hosted-zone-name/--certificate-arn need --domain"
fi

model_file="$(basename "$MODEL")"
if [[ ! "$model_file" =~ ^(.+)-([0-9]+\.[0-9]+\.[0-9]+[A-Za-z0-9.+-]*)\.h5$ ]]; then
  die "--model must be named <name>-<version>.h5 (got $model_file)"
fi
MODEL_NAME="${BASH_REMATCH[1]}"
MODEL_VERSION="${BASH_REMATCH[2]}"
MANIFEST="${MODEL%.h5}.json"

if ((DRY_RUN == 0)); then
  for tool in aws docker npx python3 sha256sum; do
    command -v "$tool" >/dev/null || die "$tool is required (README.md, Deploy to AWS: prerequisites)"
  done
  [[ -f "$MODEL" && -f "$MANIFEST" ]] || die "$MODEL and its manifest $MANIFEST must exist"
  if [[ -z "$REGION" ]]; then
    REGION="$(aws configure get region || true)"
  fi
  [[ -n "$REGION" ]] || die "no region: pass --region or set AWS_REGION"
fi
REGION="${REGION:-us-east-1}"

if [[ -f "$MODEL" ]]; then
  MODEL_SHA256="$(sha256sum "$MODEL" | cut -d' ' -f1)"
else
  MODEL_SHA256="<sha256 of $MODEL>"
fi

if [[ -z "$IMAGE_TAG" ]]; then
  if git rev-parse --verify -q HEAD >/dev/null 2>&1 && [[ -z "$(git status --porcelain 2>/dev/null)" ]]; then
    IMAGE_TAG="git-$(git rev-parse --short=12 HEAD)"
  else
    # Tags are immutable in ECR: a dirty tree gets a fresh tag rather than overwriting one.
    IMAGE_TAG="dev-$(date -u +%Y%m%d%H%M%S)"
  fi
fi

PYTHON=python3
if [[ -x .venv/bin/python ]]; then
  PYTHON=.venv/bin/python
fi

CONTEXT=(
  -c "region=$REGION"
  -c "imageTag=$IMAGE_TAG"
  -c "modelName=$MODEL_NAME"
  -c "modelVersion=$MODEL_VERSION"
  -c "modelSha256=$MODEL_SHA256"
)
add_context() {
  if [[ -n "$2" ]]; then
    CONTEXT+=(-c "$1=$2")
  fi
}
add_context domainName "$DOMAIN"
add_context hostedZoneId "$ZONE_ID"
add_context hostedZoneName "$ZONE_NAME"
add_context certificateArn "$CERT_ARN"
add_context apiKeySecretArn "$API_KEY_SECRET_ARN"
CONTEXT+=("${EXTRA_CONTEXT[@]}")

APPROVAL=()
if ((YES)); then
  APPROVAL=(--require-approval never)
fi

if ((DRY_RUN)); then
  echo "# dry run: nothing below is executed; <...> stands for a value read from AWS"
fi
echo "# region $REGION, image tag $IMAGE_TAG, model $MODEL_NAME $MODEL_VERSION"
export AWS_REGION="$REGION"
mkdir -p "$OUT_DIR"

# --- 1. account and CDK bootstrap (the assets bucket for the VPC's default-SG custom resource) ---
ACCOUNT="$(capture "<account-id>" aws sts get-caller-identity --query Account --output text)"
run npx --no-install cdk bootstrap "aws://$ACCOUNT/$REGION"

# --- 2. the storage stack: ECR repositories and the model bucket --------------------------------
run npx --no-install cdk deploy "$STORAGE_STACK" "${CONTEXT[@]}" "${APPROVAL[@]}" \
  --outputs-file "$OUT_DIR/storage-outputs.json"
BUCKET="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK" ModelBucketName)"
APP_REPO="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK" AppRepositoryUri)"
NGINX_REPO="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK" NginxRepositoryUri)"

# --- 3. both images, built for Fargate's x86-64, pushed once per tag (tags are immutable) -------
REGISTRY="$ACCOUNT.dkr.ecr.$REGION.amazonaws.com"
echo "+ aws ecr get-login-password --region $REGION | docker login --username AWS --password-stdin $REGISTRY"
if ((DRY_RUN == 0)); then
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
fi

push_image() {
  local repo_uri="$1" build_context="$2"
  local image="$repo_uri:$IMAGE_TAG"
  if ((DRY_RUN == 0)) &&
    aws ecr describe-images --repository-name "${repo_uri#*/}" --image-ids "imageTag=$IMAGE_TAG" \
      >/dev/null 2>&1; then
    echo "# $image is already in ECR"
    return
  fi
  run docker build --platform linux/amd64 --pull -t "$image" "$build_context"
  run docker push "$image"
}
push_image "$APP_REPO" .
push_image "$NGINX_REPO" nginx

# --- 4. the model: s3://<bucket>/<name>/<version>/<name>-<version>.h5 + manifest -----------------
MODEL_URI="$(capture "s3://$BUCKET/$MODEL_NAME/$MODEL_VERSION/$model_file" \
  "$PYTHON" scripts/publish_model.py --model "$MODEL" --bucket "$BUCKET" --prefix "$MODEL_NAME")"
echo "# model published at $MODEL_URI"

# --- 5. the service stack: VPC, Fargate (app + nginx), ALB/TLS, DNS, alarms ----------------------
run npx --no-install cdk deploy "$SERVICE_STACK" "${CONTEXT[@]}" "${APPROVAL[@]}" \
  --outputs-file "$OUT_DIR/service-outputs.json"
URL="$(stack_output "$OUT_DIR/service-outputs.json" "$SERVICE_STACK" EndpointUrl)"
MODE="$(stack_output "$OUT_DIR/service-outputs.json" "$SERVICE_STACK" IngressMode)"

echo
if ((DRY_RUN)); then
  echo "dry run done: a real run ends by printing the endpoint URL ($URL)"
else
  echo "facesim is deployed: $URL"
  echo "  try: curl -s $URL/readyz"
fi
if [[ "$MODE" == http-fallback* || -z "$DOMAIN" ]]; then
  echo "  WARNING: no --domain given, so this is the plain-HTTP fallback (README.md, Deploy to AWS)."
fi
