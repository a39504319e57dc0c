module "functions" {
  source   = "../function"
  for_each = local.functions

  project_id  = var.project_id
  region      = var.region
  name        = each.key
  description = each.value.summary
  entry_point = each.value.entry_point
  labels      = { app = "convonet", kind = each.value.kind, weight = each.value.weight }

  bundle = {
    bucket = google_storage_bucket.bundles.name
    path   = "${var.bundles_dir}/${local.bundles[each.key].file}"
    sha256 = local.bundles[each.key].sha256
  }
  build = {
    service_account   = google_service_account.build.id
    docker_repository = google_artifact_registry_repository.functions.id
  }
  service = {
    memory_mb     = each.value.memory_mb
    concurrency   = each.value.concurrency
    timeout_s     = each.value.timeout_s
    min_instances = local.min_instances[each.key]
    max_instances = local.max_instances[each.key]
    # Public HTTP functions are reached only through the load balancer.
    ingress = each.value.kind == "http" && each.value.public ? "ALLOW_INTERNAL_AND_GCLB" : "ALLOW_INTERNAL_ONLY"
  }

  environment_variables = local.environment[each.key]
  secrets               = local.secrets[each.key]
  publishes             = { for t in each.value.publishes : t => module.data.topics[t] }
  project_roles         = ["roles/datastore.user"]
  cloud_sql             = each.value.uses_db ? { instance = module.data.sql_instance_name, iam_auth = var.db_iam_auth } : null
  invokers              = each.value.kind == "http" && each.value.public ? ["allUsers"] : []

  trigger_config = each.value.kind != "event" ? null : {
    pubsub_service_agent = local.pubsub_service_agent
    topics = {
      for t in each.value.topics : t => {
        topic             = module.data.topics[t]
        dead_letter_topic = module.data.dead_letter_topics[t]
      }
    }
  }

  depends_on = [google_project_iam_member.build_logs, google_storage_bucket_iam_member.build_reads_bundles, google_artifact_registry_repository_iam_member.build_writes_images]
}
