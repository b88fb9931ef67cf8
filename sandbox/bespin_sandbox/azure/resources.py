"""What Azure itself fills in, per resource type (shapes from the Azure REST API specs).

The ARM handler treats every resource type alike (store the body, answer it
back with ``provisioningState``); a ``Kind`` adds what one type needs on top:
server-filled fields, children embedded in the parent's body, references
back from the resources that point at it, read-only views, and POST actions.
"""

from __future__ import annotations

import copy
import datetime
import hashlib
import ipaddress
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from . import AZURITE_ACCOUNT, AZURITE_KEY, catalog
from .errors import ArmError
from .store import State


@dataclass
class Context:
    state: State
    azurite_url: str  # http://127.0.0.1:<port>, Azurite's blob service
    query: dict[str, str] = field(default_factory=dict)


Fill = Callable[[Context, dict, dict | None], None]


@dataclass(frozen=True)
class Kind:
    # Long-running: PUT/DELETE/actions answer 201/202 with Azure-AsyncOperation (as virtual machines do).
    lro: bool = False
    # Storage accounts answer a finished create with 200.
    create_status: int = 201
    # Microsoft.Network resources carry a weak etag.
    etag: bool = False
    # Child type segment -> property of the parent's body holding those children.
    embedded: dict[str, str] = field(default_factory=dict)
    fill: Fill | None = None
    # Fields computed at read time from the resources that refer to this one.
    backrefs: Callable[[Context, dict], None] | None = None
    views: dict[str, Callable[[Context, dict], dict]] = field(default_factory=dict)
    actions: dict[str, Callable[[Context, dict, dict], dict | None]] = field(default_factory=dict)
    # Actions that only read (not counted as writes).
    read_actions: frozenset[str] = frozenset()
    # Singleton children Azure always has (storage blobServices/default): child type -> default body.
    defaults: dict[str, Callable[[str], dict]] = field(default_factory=dict)
    on_delete: Callable[[Context, dict], None] | None = None


def now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


def keep(previous: dict | None, resource: dict, *path: str, default=None):
    """A server-filled value: the previous one on update, else ``default``; set on ``resource``."""
    source = previous
    for key in path:
        source = (source or {}).get(key) if isinstance(source, dict) else None
    value = source if source is not None else default
    target = resource
    for key in path[:-1]:
        target = target.setdefault(key, {})
    target[path[-1]] = value
    return value


def props(resource: dict) -> dict:
    return resource.setdefault("properties", {})


def references(state: State, resource_type: str) -> list[dict]:
    return [r for r in state.resources.values() if r["type"].lower() == resource_type.lower()]


def _id_eq(a: str | None, b: str | None) -> bool:
    return bool(a) and bool(b) and a.lower() == b.lower()


def _stable_hex(text: str, length: int) -> str:
    return hashlib.sha256(text.lower().encode()).hexdigest()[:length]


# Networking ----------------------------------------------------------------------


def fill_vnet(ctx: Context, resource: dict, previous: dict | None) -> None:
    keep(previous, resource, "properties", "resourceGuid", default=str(uuid.uuid4()))
    props(resource).setdefault("enableDdosProtection", False)
    props(resource).setdefault("virtualNetworkPeerings", [])
    props(resource).setdefault("subnets", [])


def fill_subnet(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    if not (p.get("addressPrefix") or p.get("addressPrefixes")):
        raise ArmError(400, "InvalidRequestFormat", "Cannot parse the request: subnet needs an addressPrefix.")
    p.setdefault("delegations", [])
    p.setdefault("privateEndpointNetworkPolicies", "Disabled")
    p.setdefault("privateLinkServiceNetworkPolicies", "Enabled")


def subnet_backrefs(ctx: Context, subnet: dict) -> None:
    configs = [
        {"id": config["id"]}
        for nic in references(ctx.state, "Microsoft.Network/networkInterfaces")
        for config in props(nic).get("ipConfigurations", [])
        if _id_eq((props(config).get("subnet") or {}).get("id"), subnet["id"])
    ]
    if configs:
        props(subnet)["ipConfigurations"] = configs


# The rules every NSG starts with (Azure's defaults, priorities 65000-65500).
_DEFAULT_RULES = (
    ("AllowVnetInBound", "Inbound", 65000, "VirtualNetwork", "VirtualNetwork", "Allow"),
    ("AllowAzureLoadBalancerInBound", "Inbound", 65001, "AzureLoadBalancer", "*", "Allow"),
    ("DenyAllInBound", "Inbound", 65500, "*", "*", "Deny"),
    ("AllowVnetOutBound", "Outbound", 65000, "VirtualNetwork", "VirtualNetwork", "Allow"),
    ("AllowInternetOutBound", "Outbound", 65001, "*", "Internet", "Allow"),
    ("DenyAllOutBound", "Outbound", 65500, "*", "*", "Deny"),
)


def fill_nsg(ctx: Context, resource: dict, previous: dict | None) -> None:
    keep(previous, resource, "properties", "resourceGuid", default=str(uuid.uuid4()))
    props(resource).setdefault("securityRules", [])
    props(resource)["defaultSecurityRules"] = [
        {
            "name": name,
            "id": f"{resource['id']}/defaultSecurityRules/{name}",
            "type": "Microsoft.Network/networkSecurityGroups/defaultSecurityRules",
            "etag": resource.get("etag"),
            "properties": {
                "provisioningState": "Succeeded",
                "description": f"Default rule {name}",
                "protocol": "*",
                "sourcePortRange": "*",
                "destinationPortRange": "*",
                "sourceAddressPrefix": source,
                "destinationAddressPrefix": destination,
                "access": access,
                "priority": priority,
                "direction": direction,
                "sourcePortRanges": [],
                "destinationPortRanges": [],
                "sourceAddressPrefixes": [],
                "destinationAddressPrefixes": [],
            },
        }
        for name, direction, priority, source, destination, access in _DEFAULT_RULES
    ]


def fill_security_rule(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    for key in ("sourcePortRanges", "destinationPortRanges", "sourceAddressPrefixes", "destinationAddressPrefixes"):
        p.setdefault(key, [])
    missing = [k for k in ("protocol", "access", "priority", "direction") if k not in p]
    if missing:
        raise ArmError(400, "InvalidRequestFormat", f"Security rule {resource['name']} is missing {missing[0]}.")


def nsg_backrefs(ctx: Context, nsg: dict) -> None:
    nics = [
        {"id": nic["id"]}
        for nic in references(ctx.state, "Microsoft.Network/networkInterfaces")
        if _id_eq((props(nic).get("networkSecurityGroup") or {}).get("id"), nsg["id"])
    ]
    if nics:
        props(nsg)["networkInterfaces"] = nics


# Public addresses come from a range Azure really uses, one per resource.
_PUBLIC_RANGE = ipaddress.ip_network("20.61.0.0/16")


def fill_public_ip(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    sku = resource.setdefault("sku", {"name": "Standard"})
    sku.setdefault("tier", "Regional")
    default_method = "Static" if sku["name"] == "Standard" else "Dynamic"
    method = p.setdefault("publicIPAllocationMethod", default_method)
    if sku["name"] == "Standard" and method != "Static":
        raise ArmError(
            400,
            "StandardSkuPublicIPAddressesCannotBeDynamic",
            f"Standard sku publicIp {resource['id']} must be specified with publicIPAllocationMethod Static.",
        )
    p.setdefault("publicIPAddressVersion", "IPv4")
    p.setdefault("idleTimeoutInMinutes", 4)
    p.setdefault("ipTags", [])
    keep(previous, resource, "properties", "resourceGuid", default=str(uuid.uuid4()))
    address = (previous or {}).get("properties", {}).get("ipAddress")
    if method == "Static" and not address:
        taken = {
            props(r).get("ipAddress")
            for r in references(ctx.state, "Microsoft.Network/publicIPAddresses")
            if r["id"].lower() != resource["id"].lower()
        }
        address = next(str(a) for a in _PUBLIC_RANGE.hosts() if str(a) not in taken and a.packed[-1] > 3)
    if address and method == "Static":
        p["ipAddress"] = address
    else:
        p.pop("ipAddress", None)
    dns = p.get("dnsSettings")
    if dns and dns.get("domainNameLabel"):
        dns["fqdn"] = f"{dns['domainNameLabel']}.{resource['location']}.cloudapp.azure.com"


def public_ip_backrefs(ctx: Context, address: dict) -> None:
    for nic in references(ctx.state, "Microsoft.Network/networkInterfaces"):
        for config in props(nic).get("ipConfigurations", []):
            if _id_eq((props(config).get("publicIPAddress") or {}).get("id"), address["id"]):
                props(address)["ipConfiguration"] = {"id": config["id"]}


def fill_nic(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    configs = p.get("ipConfigurations") or []
    if not configs:
        raise ArmError(
            400, "NetworkInterfaceMustHaveAtLeastOneIpConfiguration", "A network interface needs an ipConfiguration."
        )
    suffix = keep(previous, resource, "properties", "dnsSettings", default=None)
    dns = p.get("dnsSettings") or {}
    dns.setdefault("dnsServers", [])
    dns["appliedDnsServers"] = list(dns["dnsServers"])
    dns.setdefault("internalDomainNameSuffix", (suffix or {}).get("internalDomainNameSuffix") or _dns_suffix(resource))
    p["dnsSettings"] = dns
    for key, value in (
        ("enableAcceleratedNetworking", False),
        ("enableIPForwarding", False),
        ("disableTcpStateTracking", False),
        ("nicType", "Standard"),
        ("auxiliaryMode", "None"),
        ("vnetEncryptionSupported", False),
        ("hostedWorkloads", []),
        ("tapConfigurations", []),
    ):
        p.setdefault(key, value)
    keep(previous, resource, "properties", "resourceGuid", default=str(uuid.uuid4()))
    old = {c["name"]: c for c in (previous or {}).get("properties", {}).get("ipConfigurations", [])}
    for index, config in enumerate(configs):
        c = props(config)
        c.setdefault("primary", index == 0)
        c.setdefault("privateIPAllocationMethod", "Dynamic")
        c.setdefault("privateIPAddressVersion", "IPv4")
        subnet_id = (c.get("subnet") or {}).get("id")
        subnet = _find_subnet(ctx, subnet_id) if subnet_id else None
        if subnet_id and subnet is None:
            raise ArmError(
                400,
                "InvalidResourceReference",
                f"Resource {subnet_id} referenced by resource {resource['id']} was not found.",
            )
        address_id = (c.get("publicIPAddress") or {}).get("id")
        if address_id and ctx.state.get(address_id) is None:
            raise ArmError(
                400,
                "InvalidResourceReference",
                f"Resource {address_id} referenced by resource {resource['id']} was not found.",
            )
        was = props(old.get(config["name"], {}))
        if c["privateIPAllocationMethod"] == "Dynamic":
            c["privateIPAddress"] = was.get("privateIPAddress") or _free_private_ip(ctx, subnet, resource["id"])


def _dns_suffix(resource: dict) -> str:
    return f"{_stable_hex(resource['id'], 26)}.ax.internal.cloudapp.net"


def _find_subnet(ctx: Context, subnet_id: str) -> dict | None:
    vnet_id, _, name = subnet_id.rpartition("/subnets/")
    vnet = ctx.state.get(vnet_id)
    for subnet in (vnet or {}).get("properties", {}).get("subnets", []):
        if subnet["name"].lower() == name.lower():
            return subnet
    return None


def _free_private_ip(ctx: Context, subnet: dict | None, nic_id: str) -> str | None:
    if subnet is None:
        return None
    prefix = props(subnet).get("addressPrefix") or props(subnet).get("addressPrefixes", [None])[0]
    taken = {
        props(config).get("privateIPAddress")
        for nic in references(ctx.state, "Microsoft.Network/networkInterfaces")
        if nic["id"].lower() != nic_id.lower()
        for config in props(nic).get("ipConfigurations", [])
    }
    # Azure keeps the first four addresses of every subnet for itself.
    hosts = list(ipaddress.ip_network(prefix, strict=False).hosts())[3:]
    return next((str(a) for a in hosts if str(a) not in taken), None)


def nic_backrefs(ctx: Context, nic: dict) -> None:
    for vm in references(ctx.state, "Microsoft.Compute/virtualMachines"):
        for ref in props(vm).get("networkProfile", {}).get("networkInterfaces", []):
            if _id_eq(ref.get("id"), nic["id"]):
                props(nic)["virtualMachine"] = {"id": vm["id"]}
                props(nic)["primary"] = True
                props(nic)["macAddress"] = "00-22-48-" + "-".join(
                    _stable_hex(nic["id"], 6)[i : i + 2].upper() for i in (0, 2, 4)
                )


# Compute -------------------------------------------------------------------------

_POWER_STATES = {"running": "VM running", "deallocated": "VM deallocated", "stopped": "VM stopped"}


def fill_vm(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    sandbox = resource["_sandbox"] = copy.deepcopy((previous or {}).get("_sandbox", {"powerState": "running"}))
    size = p.get("hardwareProfile", {}).get("vmSize")
    if size not in catalog.VM_SIZES:
        raise ArmError(
            409,
            "SkuNotAvailable",
            f"The requested VM size {size} is not available in location '{resource['location']}'.",
        )
    if previous is not None:
        _keep_fixed_vm_settings(p, props(previous))
    os_profile = p.get("osProfile")
    if os_profile is not None:
        # customData is write-only and fixed at creation (Azure answers exactly this on a change).
        custom_data = os_profile.pop("customData", None)
        os_profile.pop("adminPassword", None)
        if previous is None:
            sandbox["customData"] = custom_data
        elif custom_data is not None and custom_data != sandbox.get("customData"):
            raise ArmError(
                409, "PropertyChangeNotAllowed", "Changing property 'customData' is not allowed.", "customData"
            )
        os_profile.setdefault("computerName", resource["name"])
        os_profile.setdefault("secrets", [])
        os_profile.setdefault("allowExtensionOperations", True)
        os_profile.setdefault("requireGuestProvisionSignal", True)
        linux = os_profile.get("linuxConfiguration")
        if linux is not None:
            linux.setdefault("disablePasswordAuthentication", False)
            linux.setdefault("provisionVMAgent", True)
            linux.setdefault("patchSettings", {"patchMode": "ImageDefault", "assessmentMode": "ImageDefault"})
    for ref in p.get("networkProfile", {}).get("networkInterfaces", []):
        nic = ctx.state.get(ref.get("id", ""))
        if nic is None:
            raise ArmError(400, "InvalidResourceReference", f"Network interface {ref.get('id')} was not found.")
        owner = props(nic).get("virtualMachine") or next(
            (
                {"id": vm["id"]}
                for vm in references(ctx.state, "Microsoft.Compute/virtualMachines")
                if vm["id"].lower() != resource["id"].lower()
                and any(
                    _id_eq(r.get("id"), nic["id"])
                    for r in props(vm).get("networkProfile", {}).get("networkInterfaces", [])
                )
            ),
            None,
        )
        if owner and owner["id"].lower() != resource["id"].lower():
            raise ArmError(
                400,
                "NicInUse",
                f"Network Interface {nic['id']} is used by existing resource "
                f"{owner['id']}. In order to delete the network interface, it must be dissociated "
                "from the resource.",
            )
    storage = p.setdefault("storageProfile", {})
    storage.setdefault("dataDisks", [])
    image = storage.get("imageReference")
    if image and image.get("publisher"):
        image["exactVersion"] = _resolve_image(image, resource["location"])
    os_disk = storage.setdefault("osDisk", {})
    old_disk = (previous or {}).get("properties", {}).get("storageProfile", {}).get("osDisk", {})
    os_disk.setdefault("name", old_disk.get("name") or f"{resource['name']}_OsDisk_1_{uuid.uuid4().hex}")
    os_disk.setdefault("osType", "Linux")
    os_disk.setdefault("createOption", "FromImage")
    os_disk.setdefault("caching", "ReadWrite")
    os_disk.setdefault("deleteOption", "Detach")
    os_disk.setdefault("diskSizeGB", 30)
    managed = os_disk.setdefault("managedDisk", {})
    managed.setdefault("storageAccountType", "Premium_LRS")
    group_id = resource["id"].split("/providers/", 1)[0]
    managed["id"] = f"{group_id}/providers/Microsoft.Compute/disks/{os_disk['name']}"
    p["vmId"] = (previous or {}).get("properties", {}).get("vmId") or str(uuid.uuid4())
    p["timeCreated"] = (previous or {}).get("properties", {}).get("timeCreated") or now()
    if ctx.state.get(managed["id"]) is None:
        ctx.state.put(_os_disk(resource, os_disk, image))


def _keep_fixed_vm_settings(p: dict, old: dict) -> None:
    """An update PUT may leave out what was fixed at creation (image, OS disk, SSH keys): Azure keeps it."""
    if "osProfile" in p and "osProfile" in old:
        p["osProfile"] = _deep_merge(old["osProfile"], p["osProfile"])
    storage, old_storage = p.setdefault("storageProfile", {}), old.get("storageProfile", {})
    if "imageReference" not in storage and "imageReference" in old_storage:
        storage["imageReference"] = copy.deepcopy(old_storage["imageReference"])
    os_disk = storage.get("osDisk", {})
    if not (os_disk.get("vhd") or {}).get("uri"):
        os_disk.pop("vhd", None)  # an empty vhd is what a client sends for "no unmanaged disk"
    storage["osDisk"] = _deep_merge(old_storage.get("osDisk", {}), os_disk)


def _deep_merge(base: dict, update: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in update.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def _resolve_image(image: dict, location: str) -> str:
    entry = catalog.image_sku(image["publisher"], image.get("offer", ""), image.get("sku", ""))
    version = image.get("version", "latest")
    if entry is None or (version != "latest" and version not in entry[0]):
        raise ArmError(
            404,
            "PlatformImageNotFound",
            f"The platform image '{image['publisher']}:{image.get('offer')}:{image.get('sku')}:{version}' "
            f"is not available. Verify that all fields in the storage profile are correct.",
        )
    return entry[0][-1] if version == "latest" else version


def _os_disk(vm: dict, os_disk: dict, image: dict | None) -> dict:
    disk_id = os_disk["managedDisk"]["id"]
    creation = {"createOption": os_disk["createOption"]}
    if image and image.get("publisher"):
        creation["imageReference"] = {"id": image_version_id(vm["id"].split("/")[2], vm["location"], image)}
    return {
        "id": disk_id,
        "name": os_disk["name"],
        "type": "Microsoft.Compute/disks",
        "location": vm["location"],
        "managedBy": vm["id"],
        "sku": {"name": os_disk["managedDisk"]["storageAccountType"], "tier": "Premium"},
        "properties": {
            "osType": os_disk["osType"],
            "hyperVGeneration": "V2",
            "creationData": creation,
            "diskSizeGB": os_disk["diskSizeGB"],
            "diskState": "Attached",
            "timeCreated": now(),
            "provisioningState": "Succeeded",
            "uniqueId": str(uuid.uuid4()),
        },
    }


def image_version_id(subscription: str, location: str, image: dict) -> str:
    return (
        f"/Subscriptions/{subscription}/Providers/Microsoft.Compute/Locations/{location}/Publishers/"
        f"{image['publisher']}/ArtifactTypes/VMImage/Offers/{image['offer']}/Skus/{image['sku']}/Versions/"
        f"{image.get('exactVersion') or image.get('version')}"
    )


def vm_instance_view(ctx: Context, vm: dict) -> dict:
    power = vm.get("_sandbox", {}).get("powerState", "running")
    image = props(vm).get("storageProfile", {}).get("imageReference") or {}
    return {
        "computerName": props(vm).get("osProfile", {}).get("computerName", vm["name"]),
        "osName": "ubuntu" if "ubuntu" in image.get("offer", "").lower() else "linux",
        "osVersion": (image.get("exactVersion") or "")[:5] or None,
        "hyperVGeneration": "V2",
        "vmAgent": {
            "vmAgentVersion": "2.13.1.1",
            "statuses": [{"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Ready"}],
        },
        "disks": [
            {
                "name": props(vm)["storageProfile"]["osDisk"]["name"],
                "statuses": [
                    {"code": "ProvisioningState/succeeded", "level": "Info", "displayStatus": "Provisioning succeeded"}
                ],
            }
        ],
        "statuses": [
            {
                "code": "ProvisioningState/succeeded",
                "level": "Info",
                "displayStatus": "Provisioning succeeded",
                "time": props(vm).get("timeCreated"),
            },
            {"code": f"PowerState/{power}", "level": "Info", "displayStatus": _POWER_STATES[power]},
        ],
    }


def _power(state: str) -> Callable[[Context, dict, dict], None]:
    def action(ctx: Context, vm: dict, body: dict) -> None:
        vm["_sandbox"]["powerState"] = state
        ctx.state.put(vm)

    return action


def vm_delete(ctx: Context, vm: dict) -> None:
    os_disk = props(vm).get("storageProfile", {}).get("osDisk", {})
    disk = ctx.state.get(os_disk.get("managedDisk", {}).get("id", ""))
    if disk is None:
        return
    if os_disk.get("deleteOption") == "Delete":
        ctx.state.delete(disk["id"])
    else:  # Detach: the disk stays, unattached
        disk.pop("managedBy", None)
        props(disk)["diskState"] = "Unattached"
        ctx.state.put(disk)


def fill_disk(ctx: Context, resource: dict, previous: dict | None) -> None:
    props(resource).setdefault("diskState", "Unattached")
    keep(previous, resource, "properties", "uniqueId", default=str(uuid.uuid4()))
    keep(previous, resource, "properties", "timeCreated", default=now())
    if previous and previous.get("managedBy"):
        resource["managedBy"] = previous["managedBy"]


# Storage -------------------------------------------------------------------------


def fill_storage_account(ctx: Context, resource: dict, previous: dict | None) -> None:
    name = resource["name"]
    if not (3 <= len(name) <= 24 and name.isalnum() and name == name.lower()):
        raise ArmError(
            400,
            "AccountNameInvalid",
            f"{name} is not a valid storage account name. Storage account "
            "name must be between 3 and 24 characters in length and use numbers and lower-case "
            "letters only.",
        )
    if previous is None:
        for other in references(ctx.state, "Microsoft.Storage/storageAccounts"):
            if other["name"] == name:
                raise ArmError(409, "StorageAccountAlreadyTaken", f"The storage account named {name} is already taken.")
    resource.setdefault("kind", "StorageV2")
    resource.setdefault("sku", {"name": "Standard_LRS"})
    resource["sku"].setdefault("tier", "Premium" if resource["sku"]["name"].startswith("Premium") else "Standard")
    p = props(resource)
    if resource["kind"] in ("StorageV2", "BlobStorage"):
        p.setdefault("accessTier", "Hot")
    p.setdefault("supportsHttpsTrafficOnly", True)
    p.setdefault("minimumTlsVersion", "TLS1_0")
    p.setdefault("allowBlobPublicAccess", False)
    p.setdefault("allowSharedKeyAccess", True)
    p.setdefault("isHnsEnabled", False)
    p.setdefault(
        "networkAcls", {"bypass": "AzureServices", "virtualNetworkRules": [], "ipRules": [], "defaultAction": "Allow"}
    )
    p.setdefault(
        "encryption",
        {
            "services": {
                "blob": {"keyType": "Account", "enabled": True},
                "file": {"keyType": "Account", "enabled": True},
            },
            "keySource": "Microsoft.Storage",
        },
    )
    created = keep(previous, resource, "properties", "creationTime", default=now())
    p["keyCreationTime"] = {"key1": created, "key2": created}
    # Every account's data plane is Azurite's one development account.
    blob = f"{ctx.azurite_url}/{AZURITE_ACCOUNT}/"
    p["primaryEndpoints"] = {"blob": blob, "web": f"{blob}$web/"}
    p["primaryLocation"] = resource["location"]
    p["statusOfPrimary"] = "available"


def storage_keys(ctx: Context, account: dict, body: dict) -> dict:
    created = props(account).get("creationTime")
    # Azurite knows one key per account; both of Azure's key slots hold it.
    return {
        "keys": [
            {"keyName": name, "value": AZURITE_KEY, "permissions": "FULL", "creationTime": created}
            for name in ("key1", "key2")
        ]
    }


def _storage_service(service: str) -> Callable[[str], dict]:
    def default(account_id: str) -> dict:
        body = {
            "id": f"{account_id}/{service}/default",
            "name": "default",
            "type": f"Microsoft.Storage/storageAccounts/{service}",
            "properties": {"cors": {"corsRules": []}},
        }
        if service == "blobServices":
            body["properties"]["deleteRetentionPolicy"] = {"allowPermanentDelete": False, "enabled": False}
        return body

    return default


def check_storage_name(ctx: Context, body: dict) -> dict:
    name = body.get("name", "")
    if not (3 <= len(name) <= 24 and name.isalnum() and name == name.lower()):
        return {
            "nameAvailable": False,
            "reason": "AccountNameInvalid",
            "message": f"{name} is not a valid storage account name. Storage account name must be between 3 and "
            "24 characters in length and use numbers and lower-case letters only.",
        }
    if any(r["name"] == name for r in references(ctx.state, "Microsoft.Storage/storageAccounts")):
        return {
            "nameAvailable": False,
            "reason": "AlreadyExists",
            "message": f"The storage account named {name} is already taken.",
        }
    return {"nameAvailable": True}


# MySQL flexible servers ------------------------------------------------------------


def fill_mysql(ctx: Context, resource: dict, previous: dict | None) -> None:
    p = props(resource)
    p.pop("administratorLoginPassword", None)  # write-only
    resource.setdefault("sku", {"name": "Standard_B1ms", "tier": "Burstable"})
    p.setdefault("version", "8.0.21")
    p.setdefault("state", "Ready")
    p["fullyQualifiedDomainName"] = f"{resource['name']}.mysql.database.azure.com"
    p.setdefault("storage", {"storageSizeGB": 20, "iops": 360, "autoGrow": "Enabled", "storageSku": "Premium_LRS"})
    p.setdefault("backup", {"backupRetentionDays": 7, "geoRedundantBackup": "Disabled"})
    p.setdefault("highAvailability", {"mode": "Disabled", "state": "NotEnabled"})
    p.setdefault("network", {"publicNetworkAccess": "Enabled"})


KINDS: dict[str, Kind] = {
    "microsoft.network/virtualnetworks": Kind(
        etag=True, embedded={"subnets": "subnets", "virtualnetworkpeerings": "virtualNetworkPeerings"}, fill=fill_vnet
    ),
    "microsoft.network/virtualnetworks/subnets": Kind(etag=True, fill=fill_subnet, backrefs=subnet_backrefs),
    "microsoft.network/networksecuritygroups": Kind(
        etag=True, embedded={"securityrules": "securityRules"}, fill=fill_nsg, backrefs=nsg_backrefs
    ),
    "microsoft.network/networksecuritygroups/securityrules": Kind(etag=True, fill=fill_security_rule),
    "microsoft.network/publicipaddresses": Kind(etag=True, fill=fill_public_ip, backrefs=public_ip_backrefs),
    "microsoft.network/networkinterfaces": Kind(
        etag=True, embedded={"ipconfigurations": "ipConfigurations"}, fill=fill_nic, backrefs=nic_backrefs
    ),
    "microsoft.network/networkinterfaces/ipconfigurations": Kind(etag=True),
    "microsoft.compute/virtualmachines": Kind(
        lro=True,
        fill=fill_vm,
        views={"instanceview": vm_instance_view},
        actions={
            "start": _power("running"),
            "restart": _power("running"),
            "poweroff": _power("stopped"),
            "deallocate": _power("deallocated"),
            "redeploy": _power("running"),
        },
        on_delete=vm_delete,
    ),
    "microsoft.compute/disks": Kind(lro=True, fill=fill_disk),
    "microsoft.storage/storageaccounts": Kind(
        create_status=200,
        fill=fill_storage_account,
        actions={"listkeys": storage_keys, "regeneratekey": storage_keys},
        read_actions=frozenset({"listkeys"}),
        defaults={
            s.lower(): _storage_service(s) for s in ("blobServices", "fileServices", "queueServices", "tableServices")
        },
    ),
    "microsoft.dbformysql/flexibleservers": Kind(lro=True, fill=fill_mysql),
}
GENERIC = Kind()

# POST actions on a subscription's provider that only read.
SUBSCRIPTION_ACTIONS: dict[str, Callable[[Context, dict], dict]] = {
    "microsoft.storage/checknameavailability": check_storage_name,
}


def kind_of(resource_type: str) -> Kind:
    return KINDS.get(resource_type.lower(), GENERIC)
