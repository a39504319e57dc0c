locals {
  environment = merge(
    var.environment_variables,
    { for k, v in { DB_USER = local.db_iam_user, DB_IAM_AUTH = "true" } : k => v if local.db_iam_auth },
  )
}

resource "google_cloud_run_v2_service" "this" {
  project             = var.project_id
  location            = var.region
  name                = var.name
  ingress             = "INGRESS_TRAFFIC_INTERNAL_LOAD_BALANCER"
  deletion_protection = var.deletion_protection

  template {
    service_account                  = google_service_account.this.email
    session_affinity                 = true
    timeout                          = "${var.service.timeout_s}s"
    max_instance_request_concurrency = var.service.concurrency

    scaling {
      min_instance_count = var.service.min_instances
      max_instance_count = var.service.max_instances
    }

    containers {
      image = local.image

      ports {
        container_port = 8080
      }

      resources {
        limits = {
          cpu    = var.service.cpu
          memory = "${var.service.memory_mb}Mi"
        }
        cpu_idle          = false
        startup_cpu_boost = true
      }

      dynamic "env" {
        for_each = local.environment
        content {
          name  = env.key
          value = env.value
        }
      }

      dynamic "env" {
        for_each = var.secrets
        content {
          name = env.key
          value_source {
            secret_key_ref {
              secret  = env.value
              version = "latest"
            }
          }
        }
      }
    }
  }

  depends_on = [google_secret_manager_secret_iam_member.secrets]
}
