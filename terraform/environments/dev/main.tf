# dev: scales to zero, a small zonal database, nothing protected from destroy.
module "convonet" {
  source = "../../modules/platform"

  project_id          = var.project_id
  region              = var.region
  environment         = "dev"
  domains             = var.domains
  bundles_dir         = "${path.root}/../../../build/bundles"
  web_dir             = "${path.root}/../../../web"
  gateway_image_tag   = var.gateway_image_tag
  settings            = merge({ LOG_LEVEL = "DEBUG" }, var.settings)
  omitted_secrets     = var.omitted_secrets
  integrations        = var.integrations
  notification_emails = var.notification_emails
  deletion_protection = false

  scaling = {
    keep_warm     = false
    max_instances = 5
  }
  database = {
    tier                = "db-f1-micro"
    deletion_protection = false
  }
  firestore = {
    location            = var.firestore_location
    deletion_protection = false
  }
}
