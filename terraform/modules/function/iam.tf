resource "google_secret_manager_secret_iam_member" "secrets" {
  for_each  = var.secrets
  project   = var.project_id
  secret_id = each.value
  role      = "roles/secretmanager.secretAccessor"
  member    = google_service_account.this.member
}

resource "google_pubsub_topic_iam_member" "publishes" {
  for_each = var.publishes
  project  = var.project_id
  topic    = each.value
  role     = "roles/pubsub.publisher"
  member   = google_service_account.this.member
}

# A gen2 function is served by the Cloud Run service of the same name: invoker IAM lives there.
resource "google_cloud_run_service_iam_member" "invokers" {
  for_each = toset(var.invokers)
  project  = var.project_id
  location = var.region
  service  = google_cloudfunctions2_function.this.name
  role     = "roles/run.invoker"
  member   = each.value
}
