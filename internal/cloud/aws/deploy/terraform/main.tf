# Valdrix read-only access: a role Valdrix assumes with an external id to
# inventory resources, read CloudWatch metrics and read the CUR 2.0 export,
# plus an optional, separate remediation role.

variable "external_id" {
  type        = string
  description = "The external id Valdrix generated for this connection."
  default     = "{{EXTERNAL_ID}}"
}

variable "valdrix_principal" {
  type        = string
  description = "ARN of the Valdrix platform principal allowed to assume the role."
  default     = "{{PLATFORM_PRINCIPAL}}"
}

variable "role_name" {
  type    = string
  default = "ValdrixReadOnly"
}

variable "export_bucket" {
  type        = string
  description = "Bucket of the CUR 2.0 data export (empty for none)."
  default     = ""
}

variable "export_prefix" {
  type    = string
  default = ""
}

variable "create_write_role" {
  type    = bool
  default = false
}

data "aws_partition" "current" {}

data "aws_iam_policy_document" "trust" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "AWS"
      identifiers = [var.valdrix_principal]
    }
    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.external_id]
    }
  }
}

resource "aws_iam_role" "read_only" {
  name                 = var.role_name
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

data "aws_iam_policy_document" "inventory" {
  statement {
    sid = "ResourceExplorer"
    actions = [
      "resource-explorer-2:ListIndexes", "resource-explorer-2:GetIndex", "resource-explorer-2:GetDefaultView",
      "resource-explorer-2:ListViews", "resource-explorer-2:GetView", "resource-explorer-2:Search",
      "resource-explorer-2:ListResources",
    ]
    resources = ["*"]
  }
  statement {
    sid = "Describe"
    actions = [
      "ec2:DescribeRegions", "ec2:DescribeInstances", "ec2:DescribeVolumes", "ec2:DescribeSnapshots",
      "ec2:DescribeAddresses", "ec2:DescribeNatGateways", "ec2:DescribeImages",
      "elasticloadbalancing:DescribeLoadBalancers", "elasticloadbalancing:DescribeInstanceHealth",
      "elasticloadbalancing:DescribeTargetGroups", "elasticloadbalancing:DescribeTargetHealth",
      "elasticloadbalancing:DescribeTags", "rds:DescribeDBInstances", "rds:DescribeDBSnapshots",
      "s3:ListAllMyBuckets", "ecr:DescribeRepositories", "ecr:GetLifecyclePolicy", "redshift:DescribeClusters",
      "sagemaker:ListEndpoints", "lambda:ListFunctions", "dynamodb:ListTables", "dynamodb:DescribeTable",
      "logs:DescribeLogGroups", "cloudwatch:GetMetricData",
    ]
    resources = ["*"]
  }
}

resource "aws_iam_role_policy" "inventory" {
  name   = "ValdrixInventory"
  role   = aws_iam_role.read_only.id
  policy = data.aws_iam_policy_document.inventory.json
}

resource "aws_iam_role_policy" "export_read" {
  count = var.export_bucket == "" ? 0 : 1
  name  = "ValdrixExportRead"
  role  = aws_iam_role.read_only.id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [
      { Effect = "Allow", Action = "s3:ListBucket", Resource = "arn:${data.aws_partition.current.partition}:s3:::${var.export_bucket}" },
      { Effect = "Allow", Action = "s3:GetObject", Resource = "arn:${data.aws_partition.current.partition}:s3:::${var.export_bucket}/${var.export_prefix}*" },
    ]
  })
}

resource "aws_iam_role" "write" {
  count                = var.create_write_role ? 1 : 0
  name                 = "${var.role_name}-Remediation"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = 3600
}

resource "aws_iam_role_policy" "remediation" {
  count = var.create_write_role ? 1 : 0
  name  = "ValdrixRemediation"
  role  = aws_iam_role.write[0].id
  policy = jsonencode({
    Version = "2012-10-17"
    Statement = [{
      Effect = "Allow"
      Action = [
        "ec2:StopInstances", "ec2:CreateSnapshot", "ec2:CreateTags", "ec2:DeleteVolume", "ec2:DeleteSnapshot",
        "ec2:ReleaseAddress", "ec2:DeregisterImage", "ec2:DeleteNatGateway", "elasticloadbalancing:DeleteLoadBalancer",
        "rds:CreateDBSnapshot", "rds:StopDBInstance", "rds:DeleteDBSnapshot", "logs:PutRetentionPolicy", "ecr:PutLifecyclePolicy",
      ]
      Resource  = "*"
      Condition = { StringNotEquals = { "aws:ResourceTag/valdrix:ignore" = "true" } }
    }]
  })
}

output "role_arn" {
  value = aws_iam_role.read_only.arn
}

output "write_role_arn" {
  value = var.create_write_role ? aws_iam_role.write[0].arn : null
}
