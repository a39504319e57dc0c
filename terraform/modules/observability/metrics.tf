# Log-based metrics over the JSON logs (convonet.observability) and the load balancer's log.
resource "google_logging_metric" "errors" {
  project     = var.project_id
  name        = "${var.name}/errors"
  description = "ERROR and worse log entries, by Cloud Run service (functions and the voice gateway)."
  filter      = "resource.type=\"cloud_run_revision\" AND severity>=ERROR"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "service"
      value_type = "STRING"
    }
  }

  label_extractors = {
    service = "EXTRACT(resource.labels.service_name)"
  }
}

resource "google_logging_metric" "lb_5xx" {
  project     = var.project_id
  name        = "${var.name}/lb_5xx"
  description = "5xx answers at the load balancer, by backend."
  filter      = "resource.type=\"http_load_balancer\" AND httpRequest.status>=500"

  metric_descriptor {
    metric_kind = "DELTA"
    value_type  = "INT64"
    labels {
      key        = "backend"
      value_type = "STRING"
    }
  }

  label_extractors = {
    backend = "EXTRACT(resource.labels.backend_service_name)"
  }
}
