"""Email addresses: syntax, the mailbox key, provider typos and the role/free/disposable/test flags."""

from __future__ import annotations

import pytest

from resolvers.normalize.email import Email, normalize_email
from resolvers.normalize.rejection import Rejection


def accepted(raw: str) -> Email:
    """Normalize ``raw`` and fail the test unless it was accepted."""
    result = normalize_email(raw)
    assert isinstance(result, Email), result
    return result


@pytest.mark.parametrize(("raw", "address", "key"), [
    pytest.param(" John.Smith+news@GMAIL.com ", "john.smith+news@gmail.com", "johnsmith@gmail.com",
                 id="gmail-dots-tag-case-spaces"),
    pytest.param("j.smith@googlemail.com", "j.smith@googlemail.com", "jsmith@gmail.com", id="googlemail"),
    pytest.param("jvandenoordmark+spam@googlemail.com", "jvandenoordmark+spam@googlemail.com",
                 "jvandenoordmark@gmail.com", id="googlemail-tag"),
    pytest.param("b.o.b@gmail.com", "b.o.b@gmail.com", "bob@gmail.com", id="gmail-many-dots"),
    pytest.param("bob+@gmail.com", "bob+@gmail.com", "bob@gmail.com", id="gmail-empty-tag"),
    pytest.param("Boothstacey@gmail.com", "boothstacey@gmail.com", "boothstacey@gmail.com", id="capital-first"),
    pytest.param("agostinobarracco@hotmail.it ", "agostinobarracco@hotmail.it", "agostinobarracco@hotmail.it",
                 id="trailing-space"),
    pytest.param("john.doe+promo@outlook.com", "john.doe+promo@outlook.com", "john.doe@outlook.com",
                 id="outlook-tag-dots-kept"),
    pytest.param("anna+shop@hotmail.co.uk", "anna+shop@hotmail.co.uk", "anna@hotmail.co.uk", id="hotmail-uk-tag"),
    pytest.param("bob+x@proton.me", "bob+x@proton.me", "bob@proton.me", id="proton-tag"),
    pytest.param("ivan.petrov+work@yandex.ru", "ivan.petrov+work@yandex.ru", "ivan.petrov@yandex.ru",
                 id="yandex-tag"),
    pytest.param("john.doe+x@acme.com", "john.doe+x@acme.com", "john.doe+x@acme.com", id="corporate-tag-kept"),
    pytest.param("mario.rossi@Libero.IT", "mario.rossi@libero.it", "mario.rossi@libero.it", id="libero-case"),
    pytest.param("mailto:Bob@Acme.com", "bob@acme.com", "bob@acme.com", id="mailto"),
    pytest.param("<bob@acme.com>", "bob@acme.com", "bob@acme.com", id="angle-brackets"),
    pytest.param("bob@acme.com ;", "bob@acme.com", "bob@acme.com", id="trailing-separator"),
    pytest.param("Susanne.becker57@web.de", "susanne.becker57@web.de", "susanne.becker57@web.de", id="web-de"),
    pytest.param("josé@acme.es", "josé@acme.es", "josé@acme.es", id="unicode-local-part"),
    pytest.param("h4si2b9krkpx@marketplace.amazon.co.uk", "h4si2b9krkpx@marketplace.amazon.co.uk",
                 "h4si2b9krkpx@marketplace.amazon.co.uk", id="marketplace-relay"),
])
def test_addresses_are_lower_cased_and_keyed_by_the_mailbox_they_deliver_to(raw: str, address: str, key: str) -> None:
    email = accepted(raw)

    assert (email.address, email.key) == (address, key)
    assert email.corrected_domain is None


@pytest.mark.parametrize(("raw", "role"), [
    pytest.param("Info@Acme.io", True, id="info"),
    pytest.param("sales@acme.de", True, id="sales"),
    pytest.param("contact@acme.fr", True, id="contact"),
    pytest.param("support@acme.com", True, id="support"),
    pytest.param("admin@acme.com", True, id="admin"),
    pytest.param("office@kanzlei.at", True, id="office"),
    pytest.param("hello@startup.io", True, id="hello"),
    pytest.param("noreply@shop.com", True, id="noreply"),
    pytest.param("no-reply@shop.com", True, id="no-reply"),
    pytest.param("kontakt@firma.de", True, id="kontakt"),
    pytest.param("contatti@azienda.it", True, id="contatti"),
    pytest.param("ventas@empresa.es", True, id="ventas"),
    pytest.param("biuro@firma.pl", True, id="biuro"),
    pytest.param("info+leads@acme.com", True, id="role-with-tag"),
    pytest.param("info@gmail.com", True, id="role-on-free-mail"),
    pytest.param("marco.rossi@acme.it", False, id="person-at-company"),
    pytest.param("informatica.rossi@acme.it", False, id="role-word-as-prefix"),
])
def test_shared_mailboxes_are_flagged_as_role_addresses(raw: str, role: bool) -> None:
    email = accepted(raw)

    assert email.role is role
    assert email.weak is role


@pytest.mark.parametrize(("raw", "free", "company_domain"), [
    pytest.param("marco.rossi@gmail.com", True, None, id="gmail"),
    pytest.param("michaeljohnson81@hotmail.com", True, None, id="hotmail"),
    pytest.param("susanne.becker57@web.de", True, None, id="web-de"),
    pytest.param("bob@gmx.net", True, None, id="gmx"),
    pytest.param("bob@mail.ru", True, None, id="mail-ru"),
    pytest.param("bob@wp.pl", True, None, id="wp-pl"),
    pytest.param("audrey.delorme@orange.fr", True, None, id="orange-fr"),
    pytest.param("kerry.waters@lumanindustries.co.uk", False, "lumanindustries.co.uk", id="corporate-uk"),
    pytest.param("brunam@goncalves.com.br", False, "goncalves.com.br", id="corporate-br"),
    pytest.param("Info@Acme.io", False, "acme.io", id="corporate-role"),
])
def test_free_mail_is_told_apart_from_a_corporate_domain_which_hints_at_the_employer(
    raw: str, free: bool, company_domain: str | None,
) -> None:
    email = accepted(raw)

    assert email.free is free
    assert email.company_domain == company_domain


@pytest.mark.parametrize(("raw", "disposable", "test_domain"), [
    pytest.param("bob@mailinator.com", True, False, id="mailinator"),
    pytest.param("bob@guerrillamail.com", True, False, id="guerrillamail"),
    pytest.param("bob@10minutemail.com", True, False, id="10minutemail"),
    pytest.param("bob@yopmail.com", True, False, id="yopmail"),
    pytest.param("bob@example.com", False, True, id="example-com"),
    pytest.param("bob@example.org", False, True, id="example-org"),
    pytest.param("bob@test.de", False, True, id="test-de"),
    pytest.param("bob@domain.com", False, True, id="domain-com"),
    pytest.param("marco.rossi@acme.it", False, False, id="real-domain"),
])
def test_throwaway_and_test_domains_are_flagged_and_never_hint_at_a_company(
    raw: str, disposable: bool, test_domain: bool,
) -> None:
    email = accepted(raw)

    assert (email.disposable, email.test_domain) == (disposable, test_domain)
    assert email.weak is (disposable or test_domain)
    if disposable or test_domain:
        assert email.company_domain is None


@pytest.mark.parametrize(("raw", "key", "corrected"), [
    pytest.param("marco.rossi@gmial.com", "marcorossi@gmail.com", "gmail.com", id="gmial"),
    pytest.param("anna@hotmial.com", "anna@hotmail.com", "hotmail.com", id="hotmial"),
    pytest.param("bob@yaho.com", "bob@yahoo.com", "yahoo.com", id="yaho"),
    pytest.param("bob@gamil.com", "bob@gmail.com", "gmail.com", id="gamil"),
    pytest.param("bob@gnail.com", "bob@gmail.com", "gmail.com", id="gnail"),
    pytest.param("bob@gmail.co", "bob@gmail.com", "gmail.com", id="dot-co"),
    pytest.param("bob@gmail.con", "bob@gmail.com", "gmail.com", id="dot-con"),
    pytest.param("bob@hotmail.cm", "bob@hotmail.com", "hotmail.com", id="dot-cm"),
    pytest.param("bob@outllok.com", "bob@outlook.com", "outlook.com", id="outllok"),
    pytest.param("bob@hotmal.it", "bob@hotmail.it", "hotmail.it", id="hotmal-it"),
    pytest.param("bob@hotmial.co.uk", "bob@hotmail.co.uk", "hotmail.co.uk", id="hotmial-co-uk"),
    pytest.param("bob@yandx.ru", "bob@yandex.ru", "yandex.ru", id="yandx"),
    pytest.param("bob@liberoo.it", "bob@libero.it", "libero.it", id="liberoo"),
    pytest.param("bob@iclod.com", "bob@icloud.com", "icloud.com", id="iclod"),
    pytest.param("bob@tonline.de", "bob@t-online.de", "t-online.de", id="tonline"),
    pytest.param("j.smith@gogglemail.com", "jsmith@gmail.com", "googlemail.com", id="gogglemail-two-typos"),
])
def test_obvious_typos_of_big_providers_are_corrected_in_the_key_and_reported(
    raw: str, key: str, corrected: str,
) -> None:
    email = accepted(raw)

    assert (email.key, email.corrected_domain) == (key, corrected)
    assert email.address == raw.lower()


@pytest.mark.parametrize("raw", [
    pytest.param("bob@mail.com", id="mail-com"),
    pytest.param("bob@ymail.com", id="ymail"),
    pytest.param("bob@gmx.de", id="gmx"),
    pytest.param("bob@aol.com", id="aol"),
    pytest.param("bob@live.com", id="live"),
    pytest.param("bob@me.com", id="me-com"),
    pytest.param("bob@hotmail.it", id="hotmail-it-itself"),
    pytest.param("bob@foxmail.com", id="foxmail-two-from-hotmail"),
    pytest.param("bob@yopmail.com", id="yopmail-two-from-hotmail"),
    pytest.param("bob@prontomail.com", id="prontomail-two-from-protonmail"),
    pytest.param("bob@acme.com", id="corporate"),
])
def test_real_providers_that_look_like_big_ones_are_never_corrected(raw: str) -> None:
    email = accepted(raw)

    assert email.corrected_domain is None
    assert email.domain == raw.split("@")[1]


@pytest.mark.parametrize(("raw", "code"), [
    pytest.param("test@test.com", "junk", id="test-at-test"),
    pytest.param("noemail@example.com", "junk", id="noemail"),
    pytest.param("xxxx@gmail.com", "junk", id="repeated-letter"),
    pytest.param("test+1@gmail.com", "junk", id="junk-with-tag"),
    pytest.param("t.e.s.t@gmail.com", "junk", id="junk-behind-gmail-dots"),
    pytest.param("none@acme.com", "junk", id="none-at-company"),
    pytest.param("asdf", "placeholder", id="asdf"),
    pytest.param("n/a", "placeholder", id="n-a"),
    pytest.param("none", "placeholder", id="none"),
    pytest.param("-", "placeholder", id="dash"),
    pytest.param("", "empty", id="empty"),
    pytest.param("  ", "empty", id="blank"),
    pytest.param("bobacme.com", "invalid_syntax", id="no-at-sign"),
    pytest.param("bob@@acme.com", "invalid_syntax", id="two-at-signs"),
    pytest.param("bob@acme", "invalid_syntax", id="no-dot-in-domain"),
    pytest.param("bob @acme.com", "invalid_syntax", id="space-in-local-part"),
    pytest.param("bob@acme..com", "invalid_syntax", id="double-dot"),
    pytest.param("bob@gmail.com.", "invalid_syntax", id="trailing-dot"),
])
def test_junk_placeholders_and_bad_syntax_are_rejected_with_a_reason(raw: str, code: str) -> None:
    result = normalize_email(raw)

    assert isinstance(result, Rejection)
    assert result.code == code
    assert result.message
