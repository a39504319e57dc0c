output "name" {
  description = "Deployed function name (also its Cloud Run service name)."
  value       = google_cloudfunctions2_function.this.name
}

output "uri" {
  description = "The function's own HTTPS URL."
  value       = google_cloudfunctions2_function.this.service_config[0].uri
}

output "service_account_email" {
  description = "Runtime service account."
  value       = google_service_account.this.email
}

output "db_user" {
  description = "The IAM database user, when the function uses Cloud SQL with IAM auth."
  value       = local.db_iam_user
}

output "subscriptions" {
  description = "Push subscriptions feeding the function, by topic."
  value       = { for topic, s in google_pubsub_subscription.trigger : topic => s.name }
}
