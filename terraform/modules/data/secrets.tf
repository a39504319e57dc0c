# Declared without versions: values are added with `gcloud secrets versions add` (docs/DEPLOY.md),
# so no secret ever sits in Terraform state.
resource "google_secret_manager_secret" "this" {
  for_each  = toset(var.secrets)
  project   = var.project_id
  secret_id = each.value

  replication {
    auto {}
  }
}
