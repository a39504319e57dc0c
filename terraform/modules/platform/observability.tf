module "observability" {
  source = "../observability"

  project_id          = var.project_id
  host                = var.domains[0]
  notification_emails = var.notification_emails

  # Every HTTP function serves <prefix>/healthz; "/" is the static site.
  uptime_paths = merge(
    { for name, f in local.functions : name => "${f.paths[0]}/healthz" if f.kind == "http" },
    { web = "/" },
  )
  services                  = concat([for m in module.functions : m.name], [module.voice_gateway.name])
  dead_letter_subscriptions = values(module.data.dead_letter_subscriptions)

  depends_on = [google_project_service.this]
}
