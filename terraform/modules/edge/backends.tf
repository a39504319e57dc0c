# Serverless backends take no health checks and no timeout: Cloud Run's request timeout rules.
resource "google_compute_backend_service" "this" {
  for_each              = var.routes
  project               = var.project_id
  name                  = "${var.name}-${replace(each.key, "_", "-")}"
  load_balancing_scheme = "EXTERNAL_MANAGED"
  protocol              = "HTTPS"
  security_policy       = google_compute_security_policy.this.id

  backend {
    group = google_compute_region_network_endpoint_group.this[each.key].id
  }

  log_config {
    enable      = true
    sample_rate = 1
  }
}

resource "google_compute_backend_bucket" "web" {
  project     = var.project_id
  name        = "${var.name}-web"
  bucket_name = google_storage_bucket.web.name
  enable_cdn  = var.web.enable_cdn
}
