output "load_balancer_ip" {
  description = "Point every domain's A record here."
  value       = module.edge.ip_address
}

output "public_base_url" {
  description = "PUBLIC_BASE_URL: the base of every Twilio webhook URL."
  value       = local.public_base_url
}

output "gateway_image_repository" {
  description = "Where scripts/build_gateway_image.sh pushes the voice-gateway image."
  value       = module.voice_gateway.image_repository
}

output "sql_connection_name" {
  description = "CLOUD_SQL_INSTANCE, for migrations through the connector."
  value       = module.data.sql_connection_name
}

output "db_iam_users" {
  description = "Database users to grant the application role to after migrations (docs/DEPLOY.md)."
  value = compact(concat(
    [for m in module.functions : m.db_user == null ? "" : m.db_user],
    [module.voice_gateway.db_user == null ? "" : module.voice_gateway.db_user],
  ))
}

output "functions" {
  description = "Deployed function names and their own URLs."
  value       = { for name, m in module.functions : name => m.uri }
}

output "web_bucket" {
  description = "Bucket holding web/."
  value       = module.edge.web_bucket
}
