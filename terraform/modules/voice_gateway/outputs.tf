output "name" {
  description = "Cloud Run service name."
  value       = google_cloud_run_v2_service.this.name
}

output "uri" {
  description = "The service's own HTTPS URL (the load balancer is the public entry)."
  value       = google_cloud_run_v2_service.this.uri
}

output "image_repository" {
  description = "Where scripts/build_gateway_image.sh pushes images."
  value       = "${var.region}-docker.pkg.dev/${var.project_id}/${google_artifact_registry_repository.this.repository_id}"
}

output "service_account_email" {
  description = "Runtime service account."
  value       = google_service_account.this.email
}

output "db_user" {
  description = "The IAM database user, when the service uses Cloud SQL with IAM auth."
  value       = local.db_iam_user
}
