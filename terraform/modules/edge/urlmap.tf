locals {
  # A prefix matches itself and everything below it ("/agent" and "/agent/*").
  path_rules = {
    for name, route in var.routes : name => distinct(flatten([for p in route.paths : [p, "${p}/*"]]))
  }
}

resource "google_compute_url_map" "this" {
  project         = var.project_id
  name            = var.name
  default_service = google_compute_backend_bucket.web.id

  host_rule {
    hosts        = var.domains
    path_matcher = "convonet"
  }

  path_matcher {
    name            = "convonet"
    default_service = google_compute_backend_bucket.web.id

    dynamic "path_rule" {
      for_each = local.path_rules
      content {
        paths   = path_rule.value
        service = google_compute_backend_service.this[path_rule.key].id
      }
    }
  }
}

resource "google_compute_url_map" "redirect" {
  project = var.project_id
  name    = "${var.name}-http-redirect"

  default_url_redirect {
    https_redirect         = true
    redirect_response_code = "MOVED_PERMANENTLY_DEFAULT"
    strip_query            = false
  }
}
