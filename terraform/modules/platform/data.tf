module "data" {
  source = "../data"

  project_id           = var.project_id
  region               = var.region
  topics               = local.catalog.topics
  secrets              = values(local.catalog.secrets)
  pubsub_service_agent = local.pubsub_service_agent
  database = {
    tier                = var.database.tier
    availability_type   = var.database.availability_type
    disk_size_gb        = var.database.disk_size_gb
    deletion_protection = var.database.deletion_protection
  }
  firestore = var.firestore

  depends_on = [google_project_service.this]
}
