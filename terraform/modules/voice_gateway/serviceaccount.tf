resource "google_service_account" "this" {
  project      = var.project_id
  account_id   = "run-${var.name}"
  display_name = "Service ${var.name}"
  description  = "Runtime identity of the ${var.name} Cloud Run service."
}

resource "google_project_iam_member" "roles" {
  for_each = toset(concat(
    var.project_roles,
    var.cloud_sql == null ? [] : ["roles/cloudsql.client"],
    local.db_iam_auth ? ["roles/cloudsql.instanceUser"] : [],
  ))
  project = var.project_id
  role    = each.value
  member  = google_service_account.this.member
}

locals {
  db_iam_auth = try(var.cloud_sql.iam_auth, false)
  # The connector logs in as the service account's email without ".gserviceaccount.com".
  db_iam_user = local.db_iam_auth ? trimsuffix(google_service_account.this.email, ".gserviceaccount.com") : null
}

resource "google_sql_user" "iam" {
  count    = local.db_iam_auth ? 1 : 0
  project  = var.project_id
  instance = var.cloud_sql.instance
  name     = local.db_iam_user
  type     = "CLOUD_IAM_SERVICE_ACCOUNT"
}
