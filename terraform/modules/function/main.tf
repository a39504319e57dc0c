locals {
  name = replace(var.name, "_", "-")
  # Concurrency above 1 needs a whole vCPU; 4 GiB and more get two.
  cpu = var.service.concurrency > 1 ? (var.service.memory_mb >= 4096 ? "2" : "1") : null
  environment = merge(
    var.environment_variables,
    { THREADS = tostring(var.service.concurrency) },
    { for k, v in { DB_USER = local.db_iam_user, DB_IAM_AUTH = "true" } : k => v if local.db_iam_auth },
  )
}

resource "google_cloudfunctions2_function" "this" {
  project     = var.project_id
  location    = var.region
  name        = local.name
  description = var.description
  labels      = var.labels

  build_config {
    runtime           = var.build.runtime
    entry_point       = var.entry_point
    service_account   = var.build.service_account
    docker_repository = var.build.docker_repository
    source {
      storage_source {
        bucket = var.bundle.bucket
        object = google_storage_bucket_object.bundle.name
      }
    }
  }

  service_config {
    available_memory                 = "${var.service.memory_mb}Mi"
    available_cpu                    = local.cpu
    max_instance_request_concurrency = var.service.concurrency
    min_instance_count               = var.service.min_instances
    max_instance_count               = var.service.max_instances
    timeout_seconds                  = var.service.timeout_s
    ingress_settings                 = var.service.ingress
    all_traffic_on_latest_revision   = true
    service_account_email            = google_service_account.this.email
    environment_variables            = local.environment

    dynamic "secret_environment_variables" {
      for_each = var.secrets
      content {
        key        = secret_environment_variables.key
        project_id = var.project_id
        secret     = secret_environment_variables.value
        version    = "latest"
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.secrets]
}
