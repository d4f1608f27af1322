from sencrm.core.services.records import record_create
from sencrm.crm.models import Account, Contact


def test_smoke(org):
    a = record_create(
        Account,
        by=org.alice,
        data={"name": "Công ty Hoa Sen", "phone": "0912 345 678", "tax_code": "0101248141"},
    )
    assert a.phone == "+84912345678" and a.branch == org.hn and a.team == org.team_hn
    assert list(Account.objects.visible_to(org.alice)) == [a]
    assert list(Account.objects.visible_to(org.bob)) == [a]
    assert list(Account.objects.visible_to(org.mallory)) == []
    assert list(Account.objects.visible_to(org.carol)) == [a]
    c = record_create(Contact, by=org.alice, data={"full_name": "Nguyễn Văn Đức", "account": a})
    assert (c.family_name, c.middle_name, c.given_name) == ("Nguyễn", "Văn", "Đức")
    assert " nguyen van duc " in c.search_text
