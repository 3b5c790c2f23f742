"""Write real cASO accounting messages into a dirq queue, as ``caso-extract`` does at a site.

Run with the caso client environment's interpreter; environment: ``OUTPUT_PATH``, a directory.
The records are cASO's own classes (``caso.record``), with timezone-aware UTC datetimes, pushed
through ``caso.messenger.ssm.SSMMessenger`` with ``[ssm] output_path = OUTPUT_PATH``: the directory
becomes the dirq ``QueueSimple`` that APEL's ``ssmsend`` would read, holding one cloud text
message, one public IP JSON message, one accelerator JSON message and one StAR XML message.

Site ``CASO-CLOUD-01``, months September and October 2026. Users: alice (DN, VOMS FQAN of
vo.example.org), bob (DN, the plain VO name ``biomed`` as cASO's project mapping sends it) and
carol (no DN, empty FQAN). VM 1 (alice) has three snapshots: started in September, started and
completed in October; VM 2 (bob) runs in October with one GPU; VM 3 (carol) failed in September.
Public IPs: alice IPv4 in both months, bob IPv4 and IPv6 in October. Two volumes (alice 50 GB
attached to VM 1, bob 200 GB detached).
"""

import os
import uuid
from datetime import UTC, datetime

import caso.messenger.ssm
from caso.record import AcceleratorRecord, CloudRecord, IPRecord, StorageRecord
from oslo_config import cfg

SITE = "CASO-CLOUD-01"
SERVICE = "https://keystone.caso-cloud.example.org:5000/v3"
ALICE = {
    "user_id": "u-alice",
    "user_dn": "https://aai.egi.eu/auth/realms/egi#alice@egi.eu",
    "group_id": "proj-vo-example-org",
    "fqan": "/vo.example.org/Role=NULL/Capability=NULL",
}
BOB = {
    "user_id": "u-bob",
    "user_dn": "https://aai.egi.eu/auth/realms/egi#bob@egi.eu",
    "group_id": "proj-biomed",
    "fqan": "biomed",
}
CAROL = {"user_id": "u-carol", "user_dn": None, "group_id": "proj-local", "fqan": ""}
VM_1 = uuid.UUID("c1000000-0000-4000-8000-000000000001")
VM_2 = uuid.UUID("c1000000-0000-4000-8000-000000000002")
VM_3 = uuid.UUID("c1000000-0000-4000-8000-000000000003")


def utc(month, day, hour=0):
    return datetime(2026, month, day, hour, tzinfo=UTC)


def vm(vm_uuid, name, owner, status, start, end=None, wall=None, **values):
    record = CloudRecord(
        start_time=start,
        end_time=end,
        uuid=vm_uuid,
        name=name,
        status=status,
        site_name=SITE,
        compute_service=SERVICE,
        **owner,
        **values,
    )
    if wall is not None:  # a running VM: cASO sets the wall time up to the extraction
        record.wall_duration = wall
    return record


def cloud_records():
    flavour = {"cpu_count": 2, "memory": 4096, "disk": 40, "image_id": "ubuntu-24.04"}
    benchmark = {"benchmark_type": "HEPSCORE23", "benchmark_value": 11.5}
    day = 86400
    return [
        vm(VM_1, "vm-1", ALICE, "started", utc(9, 20), wall=10 * day + 43200, **flavour),
        vm(VM_1, "vm-1", ALICE, "started", utc(9, 20), wall=20 * day, **flavour),
        vm(VM_1, "vm-1", ALICE, "completed", utc(9, 20), end=utc(10, 20), **flavour),
        vm(
            VM_2,
            "vm-2-gpu",
            BOB,
            "started",
            utc(10, 1),
            wall=14 * day,
            public_ip_count=2,
            cpu_count=8,
            memory=65536,
            disk=200,
            **benchmark,
        ),
        vm(VM_3, "vm-3", CAROL, "error", utc(9, 5), wall=60, cpu_count=1, memory=2048, disk=20),
    ]


def ip_records():
    def ip(number, owner, version, count, measured):
        return IPRecord(
            measure_time=measured,
            uuid=uuid.UUID(int=number),
            site_name=SITE,
            compute_service=SERVICE,
            ip_version=version,
            public_ip_count=count,
            **owner,
        )

    return [
        ip(1, ALICE, 4, 1, utc(9, 30, 12)),
        ip(2, ALICE, 4, 2, utc(10, 15, 12)),
        ip(3, BOB, 4, 1, utc(10, 15, 12)),
        ip(4, BOB, 6, 1, utc(10, 15, 12)),
    ]


def accelerator_records():
    gpu = AcceleratorRecord(
        uuid=VM_2,
        site_name=SITE,
        compute_service=SERVICE,
        user_dn=BOB["user_dn"],
        fqan=BOB["fqan"],
        count=1,
        available_duration=14 * 86400,
        measurement_month=10,
        measurement_year=2026,
        accelerator_type="GPU",
        cores=6912,
        model="NVIDIA A100-PCIE-40GB",
    )
    gpu.active_duration = 10 * 86400
    return [gpu]


def storage_records():
    def volume(number, owner, gigabytes, status, attached_to=None):
        return StorageRecord(
            start_time=utc(10, 1),
            measure_time=utc(10, 15, 12),
            volume_creation=utc(9, 20),
            uuid=uuid.UUID(f"5a000000-0000-4000-8000-00000000000{number}"),
            name=f"volume-{number}",
            site_name=SITE,
            compute_service=SERVICE,
            active_duration=14 * 86400 + 43200,
            attached_to=attached_to,
            status=status,
            capacity=gigabytes,
            **owner,
        )

    return [
        volume(1, ALICE, 50, "in-use", attached_to=str(VM_1)),
        volume(2, BOB, 200, "available"),
    ]


def main(output_path):
    cfg.CONF([], project="caso")
    cfg.CONF.set_override("output_path", output_path, group="ssm")
    messenger = caso.messenger.ssm.SSMMessenger()
    messenger.push(cloud_records() + ip_records() + accelerator_records() + storage_records())


if __name__ == "__main__":
    main(os.environ["OUTPUT_PATH"])
