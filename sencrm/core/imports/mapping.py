"""Suggest which file column goes to which field, from the header's wording.

Headers are compared folded (no diacritics, case, spaces or punctuation), so "Số điện thoại",
"so dien thoai" and "SO_DIEN_THOAI" are one header. The synonyms cover Vietnamese and English
headers and the exports of HubSpot (labels), Salesforce (API names, any case), Zoho (API names,
``Account_Name.Account_Name``) and SuiteCRM (import-template labels).
"""
# ruff: noqa: E501 - one synonym list per line reads best

import re

from sencrm.common.text import fold
from sencrm.core.imports import ImportAdapter

# Generic synonyms by target key; an adapter's field may add its own.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "full_name": ("fullname", "name", "hoten", "hovaten", "tenkhachhang", "tenlienhe", "contactname", "leadname", "displayname"),
    "family_name": ("lastname", "ho", "surname", "familyname", "holot"),
    "middle_name": ("middlename", "tendem", "additionalname"),
    "given_name": ("firstname", "ten", "givenname"),
    "salutation": ("salutation", "danhxung", "xungho", "prefix"),
    "email": ("email", "emailaddress", "mail", "thudientu", "diachiemail", "email1", "primaryemail", "emailaddress1"),
    "email2": ("otheremail", "email2", "nonprimaryemails", "nonprimaryemailsforimport", "secondaryemail", "emailkhac", "secondaryemailaddress"),
    "mobile": ("mobile", "mobilephone", "phonemobile", "cellphone", "cell", "didong", "sodidong", "dtdd", "sdt", "sodienthoai", "dienthoai", "mobilephonenumber"),
    "phone": ("phone", "phonenumber", "officephone", "phonework", "workphone", "businessphone", "telephone", "tel", "dienthoaicoquan", "dienthoaiban", "phoneoffice"),
    "phone2": ("alternatephone", "phonealternate", "phoneother", "otherphone", "phonehome", "homephone", "fax", "phonefax"),
    "job_title": ("title", "jobtitle", "chucvu", "chucdanh", "position", "designation"),
    "department": ("department", "phongban", "bophan"),
    "company": ("company", "companyname", "accountname", "account", "accountnameaccountname", "associatedcompany", "congty", "tencongty", "tochuc", "donvi", "organization", "organisation"),
    "website": ("website", "web", "url", "companydomainname", "domain", "trangweb", "websiteurl"),
    "tax_code": ("taxcode", "masothue", "mst", "vatnumber", "taxid", "taxnumber", "vatid"),
    "industry": ("industry", "nganh", "nganhnghe", "linhvuc"),
    "employees": ("employees", "numberofemployees", "soluongnhanvien", "sonhanvien", "quymo"),
    "annual_revenue": ("annualrevenue", "doanhthu", "doanhthunam", "revenue"),
    "street": ("street", "address", "diachi", "mailingstreet", "billingstreet", "primaryaddressstreet", "addressline1", "streetaddress", "sonhaduong"),
    "city": ("city", "mailingcity", "billingcity", "primaryaddresscity", "tinh", "tinhthanh", "tinhthanhpho", "thanhpho", "province", "tinhtp"),
    "country": ("country", "countryregion", "mailingcountry", "billingcountry", "primaryaddresscountry", "quocgia"),
    "description": ("description", "note", "notes", "ghichu", "mota", "comments"),
    "birthday": ("birthday", "birthdate", "dateofbirth", "ngaysinh", "sinhnhat", "dob"),
    "owner": ("owner", "contactowner", "companyowner", "leadowner", "dealowner", "assignedusername", "assignedto", "nguoiphutrach", "ownerusername", "owneremail"),
    "status": ("status", "leadstatus", "trangthai"),
    "source": ("source", "leadsource", "nguon", "nguonkhachhang"),
    "rating": ("rating", "danhgia"),
    "estimated_value": ("estimatedvalue", "amount", "giatri", "giatriuoctinh"),
    "type": ("type", "accounttype", "loai"),
}  # fmt: skip

_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def normalise_header(header: str) -> str:
    return _NON_ALNUM.sub("", fold(header))


def suggest_mapping(headers: list[str], adapter: ImportAdapter, fields=None) -> dict[int, str]:
    """``{column index: field key}`` for the headers we recognise; each field used at most once
    (the first column wins, so "Email" beats "Non Primary E-mails"). ``fields`` defaults to the
    adapter's with tags and custom fields (matched by their label)."""
    lookup: dict[str, str] = {}
    for f in adapter.all_fields() if fields is None else fields:
        for word in (
            *f.synonyms,
            *SYNONYMS.get(f.key, ()),
            normalise_header(str(f.label)),
            f.key.removeprefix("custom.").replace("_", ""),
        ):
            lookup.setdefault(word, f.key)
    for source, target in adapter.fallbacks.items():
        for word in SYNONYMS.get(source, ()):
            lookup.setdefault(word, target)
    mapping: dict[int, str] = {}
    used: set[str] = set()
    for index, header in enumerate(headers):
        key = lookup.get(normalise_header(header))
        if key and key not in used:
            mapping[index] = key
            used.add(key)
    return mapping
