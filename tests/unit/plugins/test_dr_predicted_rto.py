import pytest
from ansible.errors import AnsibleFilterError

from ansible_collections.bespin.platform.plugins.filter.dr_predicted_rto import dr_predicted_rto


def test_seed_settings_behind_an_alias_predict_150_s():
    assert dr_predicted_rto({"request_interval": 30, "failure_threshold": 3, "ttl": "alias"}) == {
        "detection": 90,
        "ttl": 60,
        "total": 150,
    }


def test_fast_checks_and_a_plain_record_use_its_ttl():
    assert dr_predicted_rto({"request_interval": "10", "failure_threshold": "3", "ttl": "30"})["total"] == 60


@pytest.mark.parametrize(
    ("settings", "field"),
    [
        ({"request_interval": 20, "failure_threshold": 3, "ttl": 60}, "request_interval"),
        ({"request_interval": 30, "failure_threshold": 0, "ttl": 60}, "failure_threshold"),
        ({"request_interval": 30, "failure_threshold": 3, "ttl": "soon"}, "ttl"),
        ({"request_interval": 30, "failure_threshold": 3.5, "ttl": 60}, "failure_threshold"),
    ],
)
def test_a_bad_setting_is_named(settings, field):
    with pytest.raises(AnsibleFilterError, match=field):
        dr_predicted_rto(settings)
