#!/usr/bin/env bash
# Builds and pushes the voice-gateway image, then prints the tag to give Terraform
# (gateway_image_tag). Needs the GCP project's Artifact Registry (created by Terraform) and
# either a local docker or Cloud Build (`gcloud builds submit`). Not runnable offline.
#
#   scripts/build_gateway_image.sh <project-id> [region] [tag]
#   BUILDER=cloudbuild scripts/build_gateway_image.sh <project-id>
set -euo pipefail
cd "$(dirname "$0")/.."

project="${1:?usage: build_gateway_image.sh <project-id> [region] [tag]}"
region="${2:-us-central1}"
tag="${3:-$(date -u +%Y%m%d-%H%M%S)-$(git rev-parse --short HEAD)}"
builder="${BUILDER:-docker}"
image="${region}-docker.pkg.dev/${project}/convonet/voice-gateway:${tag}"

python3 scripts/requirements.py --check

case "$builder" in
  docker)
    gcloud auth configure-docker "${region}-docker.pkg.dev" --quiet
    docker build --file functions/voice_gateway/Dockerfile --tag "$image" .
    docker push "$image"
    ;;
  cloudbuild)
    # gcloud uploads what .gcloudignore (or .gitignore) allows; docker build then honours .dockerignore.
    config="$(mktemp)"
    trap 'rm -f "$config"' EXIT
    cat >"$config" <<YAML
steps:
  - name: gcr.io/cloud-builders/docker
    args: [build, --file, functions/voice_gateway/Dockerfile, --tag, "$image", .]
images: ["$image"]
YAML
    gcloud builds submit --project "$project" --region "$region" --config "$config" .
    ;;
  *)
    echo "BUILDER must be docker or cloudbuild" >&2
    exit 2
    ;;
esac

echo "pushed $image"
echo "gateway_image_tag = \"$tag\""
