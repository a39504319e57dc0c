module "voice_gateway" {
  source = "../voice_gateway"

  project_id          = var.project_id
  region              = var.region
  deletion_protection = var.deletion_protection
  image               = { tag = var.gateway_image_tag }

  service = {
    memory_mb     = local.gateway.memory_mb
    concurrency   = local.gateway.concurrency
    timeout_s     = local.gateway.timeout_s
    min_instances = local.min_instances.voice_gateway
    max_instances = local.max_instances.voice_gateway
  }

  environment_variables = local.environment.voice_gateway
  secrets               = local.secrets.voice_gateway
  project_roles         = ["roles/datastore.user"]
  cloud_sql             = local.gateway.uses_db ? { instance = module.data.sql_instance_name, iam_auth = var.db_iam_auth } : null
  # Browsers and Twilio's media streams reach it through the load balancer only.
  invokers = local.gateway.public ? ["allUsers"] : []

  depends_on = [google_project_service.this]
}
