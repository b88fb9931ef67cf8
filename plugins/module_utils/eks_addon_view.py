# Copyright: (c) 2026, bespin.platform maintainers
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""How the add-on modules return an add-on: EKS's description in snake case, like amazon.aws modules do.

Two exceptions to the plain conversion: tag keys are the user's and stay as
they are, and configurationValues (a JSON or YAML string in EKS) is returned as
the mapping it stands for, the same shape the user passes in.
"""

from ansible_collections.amazon.aws.plugins.module_utils.transformation import boto3_resource_to_ansible_dict

from ansible_collections.bespin.platform.plugins.module_utils.addon_config import parse_configuration


def addon_view(addon):
    if not addon:
        return {}
    return boto3_resource_to_ansible_dict(
        addon,
        transform_tags=False,  # EKS tags are already a mapping, under "tags"
        force_tags=False,
        ignore_list=["tags"],
        nested_transforms={"configurationValues": parse_configuration},
    )


def update_view(update):
    return boto3_resource_to_ansible_dict(update, transform_tags=False, force_tags=False)
