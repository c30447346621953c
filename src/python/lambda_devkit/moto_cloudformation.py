"""What moto's CloudFormation lacks for a SAM stack, added on import (moto_server.py imports it)."""

from __future__ import annotations

from typing import Any

from moto.awslambda.models import LambdaAlias, LambdaVersion, LayerVersion, lambda_backends
from moto.cloudformation import parsing
from moto.core.common_models import CloudFormationModel


def _layer_version_ref_is_its_arn() -> None:
    # CloudFormation resolves `Ref` on an AWS::Lambda::LayerVersion to the version's ARN. moto
    # (5.2) gives the model object instead, which makes every stack update of a function with
    # layers fail inside moto. Give the model the physical id CloudFormation would report.
    if not hasattr(LayerVersion, "physical_resource_id"):
        LayerVersion.physical_resource_id = property(lambda self: self.arn)  # type: ignore[attr-defined]


class _AliasResource(CloudFormationModel):
    """AWS::Lambda::Alias, which moto (5.2) cannot create from a template, through its API.

    SAM's AutoPublishAlias deploys a version and an alias per function, and the API's invoke
    permissions name the alias: without this every such stack fails inside moto. `Ref` is the
    alias ARN, as in CloudFormation.
    """

    def __init__(self, alias: LambdaAlias, function_name: str) -> None:
        self.alias = alias
        self.function_name = function_name

    @staticmethod
    def cloudformation_type() -> str:
        return "AWS::Lambda::Alias"

    @property
    def physical_resource_id(self) -> str:
        return str(self.alias.arn)

    @classmethod
    def create_from_cloudformation_json(
        cls,
        resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
        **kwargs: Any,
    ) -> _AliasResource:
        backend = lambda_backends[account_id][region_name]
        return cls._from_properties(backend.create_alias, cloudformation_json["Properties"])

    @classmethod
    def _from_properties(cls, operation: Any, properties: dict[str, Any]) -> _AliasResource:
        """Creates or updates (`operation`) the alias a template's properties describe."""
        alias = operation(
            name=properties["Name"],
            function_name=properties["FunctionName"],
            function_version=str(properties["FunctionVersion"]),
            description=properties.get("Description", ""),
            routing_config=properties.get("RoutingConfig"),
        )
        return cls(alias, properties["FunctionName"])

    @classmethod
    def update_from_cloudformation_json(
        cls,
        original_resource: _AliasResource,
        new_resource_name: str,
        cloudformation_json: dict[str, Any],
        account_id: str,
        region_name: str,
    ) -> _AliasResource:
        backend = lambda_backends[account_id][region_name]
        return cls._from_properties(backend.update_alias, cloudformation_json["Properties"])


def _version_number_is_an_attribute() -> None:
    # `!GetAtt <Version>.Version` is how the alias names its version; moto (5.2) has no
    # attributes on AWS::Lambda::Version.
    if "get_cfn_attribute" not in LambdaVersion.__dict__:

        def get_cfn_attribute(self: LambdaVersion, attribute_name: str) -> str:
            if attribute_name == "Version":
                return str(self.version)
            raise NotImplementedError(attribute_name)

        LambdaVersion.get_cfn_attribute = get_cfn_attribute  # type: ignore[attr-defined]
    # moto lists the CloudFormation models it knows once; _AliasResource is one more.
    parsing.get_model_list.cache_clear()
    parsing.get_model_map.cache_clear()
    parsing.get_name_type_map.cache_clear()


_layer_version_ref_is_its_arn()
_version_number_is_an_attribute()
