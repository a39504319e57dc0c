module "edge" {
  source = "../edge"

  project_id  = var.project_id
  region      = var.region
  domains     = var.domains
  rate_limits = var.rate_limits

  # The runtime map (ARCHITECTURE.md §3): each HTTP function and the voice gateway at its paths.
  routes = merge(
    {
      for name, f in local.functions : name => {
        kind   = "function"
        target = module.functions[name].name
        paths  = f.paths
      } if f.kind == "http"
    },
    {
      voice_gateway = {
        kind   = "service"
        target = module.voice_gateway.name
        paths  = local.gateway.paths
      }
    },
  )

  web = {
    source_dir  = var.web_dir
    bucket_name = "${var.project_id}-web"
  }

  depends_on = [google_project_service.this]
}
