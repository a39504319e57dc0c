output "load_balancer_ip" {
  description = "Point every domain's A record here."
  value       = module.convonet.load_balancer_ip
}

output "public_base_url" {
  description = "The base of every Twilio webhook URL."
  value       = module.convonet.public_base_url
}

output "gateway_image_repository" {
  description = "Where scripts/build_gateway_image.sh pushes the voice-gateway image."
  value       = module.convonet.gateway_image_repository
}

output "sql_connection_name" {
  description = "CLOUD_SQL_INSTANCE, for migrations through the connector."
  value       = module.convonet.sql_connection_name
}

output "db_iam_users" {
  description = "Database users to grant the application role to after migrations."
  value       = module.convonet.db_iam_users
}

output "web_bucket" {
  description = "Bucket holding web/."
  value       = module.convonet.web_bucket
}
