"""LinkedIn URLs → a canonical person identifier, a company identifier, or a reason."""

from __future__ import annotations

import pytest

from resolvers.normalize.linkedin import LinkedIn, normalize_linkedin
from resolvers.normalize.rejection import Rejection


def accepted(raw: str) -> LinkedIn:
    """Normalize ``raw`` and fail the test unless it was accepted."""
    result = normalize_linkedin(raw)
    assert isinstance(result, LinkedIn), result
    return result


@pytest.mark.parametrize(("raw", "value"), [
    pytest.param("https://it.linkedin.com/in/Giulia-Rossi-12ab34/?trk=x", "linkedin.com/in/giulia-rossi-12ab34",
                 id="country-subdomain-case-slash-query"),
    pytest.param("linkedin.com/in/%D0%B8%D0%B2%D0%B0%D0%BD", "linkedin.com/in/иван", id="percent-encoded-cyrillic"),
    pytest.param("linkedin.com/in/%d0%b8%d0%b2%d0%b0%d0%bd", "linkedin.com/in/иван", id="lower-case-hex"),
    pytest.param("https://www.linkedin.com/in/Иван", "linkedin.com/in/иван", id="raw-cyrillic"),
    pytest.param("https://www.linkedin.com/in/ciro-r%C3%ADos-m%C3%ADnguez-2618e51a",
                 "linkedin.com/in/ciro-ríos-mínguez-2618e51a", id="percent-encoded-accents"),
    pytest.param("https://www.linkedin.com/in/ciro-ri%CC%81os", "linkedin.com/in/ciro-r\u00edos",
                 id="decomposed-accent-composed"),
    pytest.param("https://www.linkedin.com/in/lindsey-martin-40b35cc1", "linkedin.com/in/lindsey-martin-40b35cc1",
                 id="www-https"),
    pytest.param("http://www.linkedin.com/in/ronald-kelly-298a7776", "linkedin.com/in/ronald-kelly-298a7776",
                 id="http"),
    pytest.param("linkedin.com/in/deborah-kobelt-e4fd1fa2", "linkedin.com/in/deborah-kobelt-e4fd1fa2",
                 id="no-scheme"),
    pytest.param("www.linkedin.com/in/louise-wood/", "linkedin.com/in/louise-wood", id="www-no-scheme-slash"),
    pytest.param("//www.linkedin.com/in/john-doe", "linkedin.com/in/john-doe", id="protocol-relative"),
    pytest.param("HTTPS://WWW.LINKEDIN.COM/IN/JOHN-DOE", "linkedin.com/in/john-doe", id="all-capitals"),
    pytest.param("https://linkedin.com/in/William-Leduc", "linkedin.com/in/william-leduc", id="slug-case"),
    pytest.param("https://pl.linkedin.com/in/blewandowska", "linkedin.com/in/blewandowska", id="pl-subdomain"),
    pytest.param("https://de.linkedin.com/in/bastian-zobel?originalSubdomain=de", "linkedin.com/in/bastian-zobel",
                 id="original-subdomain-query"),
    pytest.param("https://linkedin.com/in/eremey-panfilov?utm_source=share&utm_medium=member_desktop",
                 "linkedin.com/in/eremey-panfilov", id="utm-query"),
    pytest.param("https://www.linkedin.com/in/john-doe#about", "linkedin.com/in/john-doe", id="fragment"),
    pytest.param("https://www.linkedin.com/in/john-doe/details/experience/", "linkedin.com/in/john-doe",
                 id="extra-path"),
    pytest.param("https://m.linkedin.com/in/davidfrey", "linkedin.com/in/davidfrey", id="mobile-host"),
    pytest.param("https://www.linkedin.com/m/in/davidfrey/", "linkedin.com/in/davidfrey", id="mobile-path"),
    pytest.param("https://linkedin.com/mwlite/in/adrianna-zaucha-d12340f4", "linkedin.com/in/adrianna-zaucha-d12340f4",
                 id="mwlite-path"),
    pytest.param("https://www.linkedin.com/in/john.doe", "linkedin.com/in/john.doe", id="dot-in-slug"),
    pytest.param("http://www.linkedin.com/pub/john-smith/12/345/678", "linkedin.com/pub/john-smith/12/345/678",
                 id="legacy-pub"),
    pytest.param("https://www.linkedin.com/pub/John-Smith/1a/B34/567/", "linkedin.com/pub/john-smith/1a/b34/567",
                 id="legacy-pub-case-and-slash"),
    pytest.param("https://m.linkedin.com/pub/anna-bianchi/3/7b/22a?trk=x", "linkedin.com/pub/anna-bianchi/3/7b/22a",
                 id="legacy-pub-mobile"),
])
def test_person_profile_urls_in_every_form_become_one_canonical_identifier(raw: str, value: str) -> None:
    profile = accepted(raw)

    assert (profile.kind, profile.value) == ("person", value)


@pytest.mark.parametrize(("raw", "value"), [
    pytest.param("linkedin.com/company/evans/", "linkedin.com/company/evans", id="company-slash"),
    pytest.param("https://www.linkedin.com/company/Acme-Corp/about/", "linkedin.com/company/acme-corp",
                 id="company-about"),
    pytest.param("https://it.linkedin.com/company/maspero-spa?trk=public", "linkedin.com/company/maspero-spa",
                 id="company-subdomain-query"),
])
def test_company_pages_are_company_identifiers_never_people(raw: str, value: str) -> None:
    page = accepted(raw)

    assert (page.kind, page.value) == ("company", value)


@pytest.mark.parametrize(("raw", "code"), [
    pytest.param("https://www.linkedin.com/feed/", "not_a_profile", id="feed"),
    pytest.param("https://www.linkedin.com/", "not_a_profile", id="home"),
    pytest.param("https://www.linkedin.com/in/", "not_a_profile", id="in-without-slug"),
    pytest.param("linkedin.com/pub/dir/john/smith", "not_a_profile", id="pub-directory"),
    pytest.param("https://www.linkedin.com/posts/john-doe_activity-123", "not_a_profile", id="post"),
    pytest.param("https://www.linkedin.com/profile/view?id=12345", "not_a_profile", id="old-profile-view"),
    pytest.param("https://www.facebook.com/john", "not_linkedin", id="facebook"),
    pytest.param("https://notlinkedin.com/in/john", "not_linkedin", id="lookalike-host"),
    pytest.param("https://linkedin.com.evil.com/in/john", "not_linkedin", id="linkedin-as-subdomain"),
    pytest.param("https://lnkd.in/abc123", "not_linkedin", id="short-link-is-never-fetched"),
    pytest.param("john-doe", "not_linkedin", id="bare-slug"),
    pytest.param("https://www.linkedin.com/in/a", "invalid_handle", id="one-letter-slug"),
    pytest.param("https://www.linkedin.com/in/john doe", "invalid_handle", id="space-in-slug"),
    pytest.param("https://www.linkedin.com/in/john%ZZdoe", "invalid_handle", id="broken-percent-escape"),
    pytest.param("https://www.linkedin.com/in/john%2541", "invalid_handle", id="double-encoded"),
    pytest.param("https://www.linkedin.com/in/john-doe%0A", "invalid_handle", id="encoded-trailing-newline"),
    pytest.param("https://www.linkedin.com/company/acme%0A/", "invalid_handle", id="company-encoded-newline"),
    pytest.param("https://www.linkedin.com/in/john%FFdoe", "invalid_syntax", id="percent-encoded-non-utf8"),
    pytest.param("https://[::1/in/x", "invalid_syntax", id="unparseable-url"),
    pytest.param("https://www.linkedin.com/in/" + "a" * 2100, "too_long_value", id="too-long"),
    pytest.param("n/a", "placeholder", id="n-a"),
    pytest.param("-", "placeholder", id="dash"),
    pytest.param("none", "placeholder", id="none"),
    pytest.param("", "empty", id="empty"),
])
def test_anything_but_a_profile_or_company_page_is_rejected_with_a_reason(raw: str, code: str) -> None:
    result = normalize_linkedin(raw)

    assert isinstance(result, Rejection)
    assert result.code == code
    assert result.message
