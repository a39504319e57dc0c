# Where bundles are uploaded and who builds them: a dedicated Cloud Build identity that can
# read the bundles, write the function images and write its logs, nothing more.
resource "google_storage_bucket" "bundles" {
  #checkov:skip=CKV_GCP_62:Bundle reads are audited by Cloud Audit Logs; a second access-log bucket adds nothing.
  project                     = var.project_id
  name                        = "${var.project_id}-function-bundles"
  location                    = var.region
  uniform_bucket_level_access = true
  public_access_prevention    = "enforced"

  versioning {
    enabled = true
  }

  depends_on = [google_project_service.this]
}

resource "google_artifact_registry_repository" "functions" {
  #checkov:skip=CKV_GCP_84:Images hold only open code and public dependencies; Google-managed encryption is accepted.
  project       = var.project_id
  location      = var.region
  repository_id = "functions"
  format        = "DOCKER"
  description   = "Images Cloud Build makes from the function bundles."

  cleanup_policies {
    id     = "keep-recent"
    action = "KEEP"
    most_recent_versions {
      keep_count = 5
    }
  }

  depends_on = [google_project_service.this]
}

resource "google_service_account" "build" {
  project      = var.project_id
  account_id   = "functions-build"
  display_name = "Function builds"
  description  = "Cloud Build identity for the function bundles."
}

resource "google_project_iam_member" "build_logs" {
  project = var.project_id
  role    = "roles/logging.logWriter"
  member  = google_service_account.build.member
}

resource "google_storage_bucket_iam_member" "build_reads_bundles" {
  bucket = google_storage_bucket.bundles.name
  role   = "roles/storage.objectViewer"
  member = google_service_account.build.member
}

resource "google_artifact_registry_repository_iam_member" "build_writes_images" {
  project    = var.project_id
  location   = var.region
  repository = google_artifact_registry_repository.functions.name
  role       = "roles/artifactregistry.writer"
  member     = google_service_account.build.member
}
