"""changed_tasks: the (host, task) pairs a default-callback run reports as changed,
the set check mode's prediction is compared with (tests/integration/test_platform.py);
recap: every host's line of the PLAY RECAP."""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "integration"))

from ansible_run import changed_tasks, recap

PLAIN = """\
PLAY [Argo CD] *****************************************************************

TASK [bespin.platform.argocd : Create the namespace] ***************************
changed: [localhost]

TASK [bespin.platform.argocd : Note whether the namespace exists yet] **********
ok: [localhost]

TASK [bespin.platform.argocd : Read argocd-secret (to keep its password time while the hash is unchanged)] ***
skipping: [localhost]

PLAY RECAP *********************************************************************
localhost                  : ok=2    changed=1    unreachable=0    failed=0    skipped=1    rescued=0    ignored=0
"""


def test_only_tasks_with_a_changed_line_count():
    assert changed_tasks(PLAIN) == {("localhost", "bespin.platform.argocd : Create the namespace")}


def test_a_loop_counts_once_even_when_some_items_are_ok():
    output = """\
TASK [bespin.platform.eks_addons : Create the IAM role of each add-on that calls AWS] ***
ok: [localhost] => (item=vpc-cni (pod_identity))
changed: [localhost] => (item=ebs-csi (pod_identity))
changed: [localhost] => (item=karpenter (irsa))
"""
    assert changed_tasks(output) == {
        ("localhost", "bespin.platform.eks_addons : Create the IAM role of each add-on that calls AWS")
    }


def test_a_delegated_result_counts_for_the_inventory_host():
    output = """\
TASK [bespin.platform.node_topology : Label and taint the nodes] ***************
changed: [ip-10-0-10-120.ap-northeast-2.compute.internal -> localhost]
"""
    assert changed_tasks(output) == {
        ("ip-10-0-10-120.ap-northeast-2.compute.internal", "bespin.platform.node_topology : Label and taint the nodes")
    }


def test_several_hosts_and_handlers():
    output = """\
TASK [write the config] ********************************************************
changed: [web1]
ok: [web2]
changed: [web3]

RUNNING HANDLER [restart the service] ******************************************
changed: [web1]
changed: [web3]
"""
    assert changed_tasks(output) == {
        ("web1", "write the config"),
        ("web3", "write the config"),
        ("web1", "restart the service"),
        ("web3", "restart the service"),
    }


def test_verbose_output_with_yaml_and_json_results():
    # -v dumps each result after "=>"; -vvv adds task paths and connection lines.
    output = """\
TASK [bespin.platform.redis_session : Write the application's Spring session settings] ***
task path: /work/main/roles/redis_session/tasks/wiring.yml:61
<127.0.0.1> ESTABLISH LOCAL CONNECTION FOR USER: root
<127.0.0.1> EXEC /bin/sh -c 'echo ~root && sleep 0'
changed: [localhost] => changed=true
    method: create
    result:
        data:
            session.properties: |-
                changed: [not-a-host]
                spring.session.store-type=redis

TASK [bespin.platform.dr_failover : Health check of the primary] ***************
task path: /work/main/roles/dr_failover/tasks/health_check.yml:4
ok: [localhost] => {
    "changed": false,
    "msg": "changed: [localhost]"
}
"""
    assert changed_tasks(output) == {
        ("localhost", "bespin.platform.redis_session : Write the application's Spring session settings")
    }


def test_check_mode_markers_and_brackets_in_names():
    output = """\
TASK [bespin.platform.argocd : Read [or wait for] the status] [CHECK MODE] ******
changed: [localhost]
"""
    assert changed_tasks(output) == {("localhost", "bespin.platform.argocd : Read [or wait for] the status")}


def test_colours_are_ignored():
    output = (
        "TASK [bespin.platform.dr_failover : PRIMARY failover record] *******************\n"
        "\x1b[0;33mchanged: [localhost]\x1b[0m\n"
    )
    assert changed_tasks(output) == {("localhost", "bespin.platform.dr_failover : PRIMARY failover record")}


def test_a_long_banner_keeps_at_least_three_stars():
    name = "bespin.platform.argocd : " + "x" * 100
    output = f"TASK [{name}] ***\nchanged: [localhost] => (item=(censored due to no_log))\n"
    assert changed_tasks(output) == {("localhost", name)}


def test_nothing_outside_a_task_and_nothing_in_the_recap():
    output = """\
changed: [localhost]

PLAY [Preflight] ***************************************************************
changed: [localhost]

PLAY RECAP *********************************************************************
localhost                  : ok=98   changed=19   unreachable=0    failed=0    skipped=67   rescued=0    ignored=0
"""
    assert changed_tasks(output) == set()


def test_failed_and_skipped_lines_are_not_changes():
    output = """\
TASK [one] *********************************************************************
fatal: [localhost]: FAILED! => changed=true
skipping: [localhost] => (item=a)
ok: [localhost] => (item=b) => changed=false
...ignoring
"""
    assert changed_tasks(output) == set()


def test_the_recap_of_every_host():
    output = PLAIN.replace(
        "PLAY RECAP *********************************************************************\n",
        "PLAY RECAP *********************************************************************\n"
        "ip-10-0-10-120.ap-northeast-2.compute.internal : ok=7    changed=1    unreachable=0    failed=0"
        "    skipped=7    rescued=0    ignored=0   \n",
    )
    hosts = recap(output)
    assert hosts["localhost"] == {
        "ok": 2,
        "changed": 1,
        "unreachable": 0,
        "failed": 0,
        "skipped": 1,
        "rescued": 0,
        "ignored": 0,
    }
    assert hosts["ip-10-0-10-120.ap-northeast-2.compute.internal"]["changed"] == 1
    assert recap("TASK [x] ***\nchanged: [localhost]\n") == {}
