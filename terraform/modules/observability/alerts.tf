locals {
  service_regex  = join("|", var.services)
  service_filter = join(" OR ", [for s in var.services : "resource.label.service_name=\"${s}\""])
}

resource "google_monitoring_alert_policy" "error_logs" {
  project               = var.project_id
  display_name          = "${var.name} error logs"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "more than ${var.thresholds.error_logs_per_5m} error logs in 5 min"
    condition_threshold {
      filter          = "metric.type=\"logging.googleapis.com/user/${google_logging_metric.errors.name}\" AND resource.type=\"cloud_run_revision\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.error_logs_per_5m
      duration        = "0s"
      aggregations {
        alignment_period     = "300s"
        per_series_aligner   = "ALIGN_SUM"
        cross_series_reducer = "REDUCE_SUM"
        group_by_fields      = ["metric.label.service"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "server_errors" {
  project               = var.project_id
  display_name          = "${var.name} 5xx ratio"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "5xx above ${var.thresholds.error_ratio * 100}% of requests"
    condition_prometheus_query_language {
      duration = "300s"
      query    = <<-EOT
        sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision", service_name=~"${local.service_regex}", response_code_class="5xx"}[5m]))
        / sum by (service_name) (rate(run_googleapis_com:request_count{monitored_resource="cloud_run_revision", service_name=~"${local.service_regex}"}[5m]))
        > ${var.thresholds.error_ratio}
      EOT
    }
  }
}

resource "google_monitoring_alert_policy" "latency" {
  project               = var.project_id
  display_name          = "${var.name} service latency p95"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "p95 request latency above ${var.thresholds.latency_p95_ms} ms"
    condition_threshold {
      filter          = "metric.type=\"run.googleapis.com/request_latencies\" AND resource.type=\"cloud_run_revision\" AND (${local.service_filter})"
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.latency_p95_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_95"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.service_name"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "lb_latency" {
  project               = var.project_id
  display_name          = "${var.name} load balancer latency p95"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "p95 total latency above ${var.thresholds.lb_latency_p95_ms} ms"
    condition_threshold {
      filter          = "metric.type=\"loadbalancing.googleapis.com/https/total_latencies\" AND resource.type=\"https_lb_rule\""
      comparison      = "COMPARISON_GT"
      threshold_value = var.thresholds.lb_latency_p95_ms
      duration        = "300s"
      aggregations {
        alignment_period     = "60s"
        per_series_aligner   = "ALIGN_PERCENTILE_95"
        cross_series_reducer = "REDUCE_MAX"
        group_by_fields      = ["resource.label.backend_target_name"]
      }
    }
  }
}

resource "google_monitoring_alert_policy" "dead_letters" {
  count                 = length(var.dead_letter_subscriptions) > 0 ? 1 : 0
  project               = var.project_id
  display_name          = "${var.name} dead letters"
  combiner              = "OR"
  notification_channels = local.channels

  conditions {
    display_name = "undeliverable events are waiting"
    condition_threshold {
      filter          = "metric.type=\"pubsub.googleapis.com/subscription/num_undelivered_messages\" AND resource.type=\"pubsub_subscription\" AND (${join(" OR ", [for s in var.dead_letter_subscriptions : "resource.label.subscription_id=\"${s}\""])})"
      comparison      = "COMPARISON_GT"
      threshold_value = 0
      duration        = "0s"
      aggregations {
        alignment_period   = "300s"
        per_series_aligner = "ALIGN_MAX"
      }
    }
  }
}
