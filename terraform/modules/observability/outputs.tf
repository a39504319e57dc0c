output "uptime_check_ids" {
  description = "Uptime check ids by name."
  value       = { for name, c in google_monitoring_uptime_check_config.this : name => c.uptime_check_id }
}

output "log_metrics" {
  description = "Log-based metric names."
  value       = [google_logging_metric.errors.name, google_logging_metric.lb_5xx.name]
}
