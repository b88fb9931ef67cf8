# Copyright: contributors to bespin.platform
# GNU General Public License v3.0+ (see LICENSE or https://www.gnu.org/licenses/gpl-3.0.txt)
"""Print, as JSON, what Route53 answers for one name: TestDNSAnswer, through boto3.

    dns_answer.py ZONE_ID NAME TYPE

No amazon.aws module calls TestDNSAnswer; the role's answer.yml runs this with
the controller's Python (boto3 comes with amazon.aws). Retries are patient, so
a throttled endpoint is waited out rather than failing the drill.
"""

import json
import sys

import boto3
from botocore.config import Config


def main(argv):
    zone_id, name, record_type = argv
    client = boto3.client("route53", config=Config(retries={"mode": "standard", "max_attempts": 10}))
    answer = client.test_dns_answer(HostedZoneId=zone_id, RecordName=name, RecordType=record_type)
    print(
        json.dumps(
            {
                "nameserver": answer.get("Nameserver", ""),
                "record_name": answer.get("RecordName", name),
                "record_type": answer.get("RecordType", record_type),
                "record_data": answer.get("RecordData", []),
                "response_code": answer.get("ResponseCode", ""),
            }
        )
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
