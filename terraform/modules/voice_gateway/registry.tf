resource "google_artifact_registry_repository" "this" {
  #checkov:skip=CKV_GCP_84:Images hold only open code and public dependencies; Google-managed encryption is accepted.
  project       = var.project_id
  location      = var.region
  repository_id = var.image.repository_id
  format        = "DOCKER"
  description   = "Convonet container images."

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = var.image.keep_versions
    }
  }
}

locals {
  image = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}/${var.image.name}:${var.image.tag}"
}
