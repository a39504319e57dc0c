# prod: warm instances where the manifest asks for them, a regional database, everything protected.
module "convonet" {
  source = "../../modules/platform"

  project_id          = var.project_id
  region              = var.region
  environment         = "prod"
  domains             = var.domains
  bundles_dir         = "${path.root}/../../../build/bundles"
  web_dir             = "${path.root}/../../../web"
  gateway_image_tag   = var.gateway_image_tag
  settings            = var.settings
  omitted_secrets     = var.omitted_secrets
  integrations        = var.integrations
  notification_emails = var.notification_emails

  scaling = {
    max_instances = 50
  }
  database = {
    tier              = "db-custom-2-7680"
    availability_type = "REGIONAL"
    disk_size_gb      = 20
  }
  firestore = {
    location = var.firestore_location
  }
}
