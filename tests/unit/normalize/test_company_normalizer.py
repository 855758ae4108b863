"""Company names → a key without legal forms, punctuation or case, whatever the jurisdiction."""

from __future__ import annotations

import pytest

from resolvers.normalize.company import normalize_company


def company_key(raw: str) -> str:
    """Return the key of ``raw`` and fail the test when there is none."""
    company = normalize_company(raw)
    assert company is not None
    return company.key


@pytest.mark.parametrize(("raw", "key"), [
    # United States
    pytest.param("Acme Inc.", "acme", id="us-inc-dot"),
    pytest.param("Acme, Inc.", "acme", id="us-comma-inc"),
    pytest.param("ACME INC", "acme", id="us-capitals"),
    pytest.param("Acme Incorporated", "acme", id="us-incorporated"),
    pytest.param("Acme LLC", "acme", id="us-llc"),
    pytest.param("Brown Capital L.L.C.", "brown capital", id="us-llc-dotted"),
    pytest.param("Clarke Energy, LLC", "clarke energy", id="us-comma-llc"),
    pytest.param("Innoio Software Corp.", "innoio software", id="us-corp"),
    pytest.param("Acme Corporation", "acme", id="us-corporation"),
    pytest.param("3M Company", "3m", id="us-company"),
    pytest.param("The Acme Company", "acme", id="us-leading-the"),
    # United Kingdom
    pytest.param("WCT Digital PLC", "wct digital", id="uk-plc"),
    pytest.param("Acme Ltd", "acme", id="uk-ltd"),
    pytest.param("Acme Limited", "acme", id="uk-limited"),
    pytest.param("Acme & Co.", "acme", id="uk-and-co"),
    # France
    pytest.param("Société Générale S.A.", "societe generale", id="fr-sa"),
    pytest.param("Acme SAS", "acme", id="fr-sas"),
    pytest.param("Acme S.A.S.", "acme", id="fr-sas-dotted"),
    pytest.param("Acme SARL", "acme", id="fr-sarl"),
    pytest.param("Acme S.à r.l.", "acme", id="fr-sarl-spelled"),
    pytest.param("Lefèvre Santé", "lefevre sante", id="fr-accents"),
    # Spain
    pytest.param("Omniio Medios S.L.", "omniio medios", id="es-sl"),
    pytest.param("Acme Sociedad Limitada", "acme", id="es-sociedad-limitada"),
    pytest.param("Echevarría Consultores Sociedad Anónima", "echevarria consultores", id="es-sociedad-anonima"),
    pytest.param("Acme S.A.", "acme", id="es-sa"),
    # Italy
    pytest.param("Acme S.p.A.", "acme", id="it-spa-dotted"),
    pytest.param("XTA SpA", "xta", id="it-spa"),
    pytest.param("Maspero S.P.A.", "maspero", id="it-spa-capitals"),
    pytest.param("Gemito Tecnologie S.r.l.", "gemito tecnologie", id="it-srl-dotted"),
    pytest.param("Acme Srl", "acme", id="it-srl"),
    # Brazil
    pytest.param("Vitais Tecnologia LTDA", "vitais tecnologia", id="br-ltda"),
    pytest.param("Alves Indústria Ltda.", "alves industria", id="br-ltda-dot"),
    pytest.param("Gonçalves S/A", "goncalves", id="br-s-slash-a"),
    pytest.param("Acme EIRELI", "acme", id="br-eireli"),
    pytest.param("Acme ME", "acme", id="br-me"),
    # Germany
    pytest.param("Acme GmbH", "acme", id="de-gmbh"),
    pytest.param("Novera Lebensmittel Gmbh", "novera lebensmittel", id="de-gmbh-case"),
    pytest.param("Acme GmbH & Co. KG", "acme", id="de-gmbh-co-kg"),
    pytest.param("Acme GmbH&Co.KG", "acme", id="de-gmbh-co-kg-glued"),
    pytest.param("Acme AG", "acme", id="de-ag"),
    pytest.param("Acme e.K.", "acme", id="de-ek"),
    pytest.param("Geißler", "geissler", id="de-sharp-s"),
    # Poland
    pytest.param("Acme Sp. z o.o.", "acme", id="pl-sp-z-oo"),
    pytest.param("Acme sp. z o. o.", "acme", id="pl-sp-z-o-o-spaced"),
    pytest.param("Acme Spółka z o.o.", "acme", id="pl-spolka-z-oo"),
    pytest.param("Acme Spółka z ograniczoną odpowiedzialnością", "acme", id="pl-spelled-out"),
    pytest.param("Acme S.K.A.", "acme", id="pl-ska"),
    # Netherlands
    pytest.param("Acme B.V.", "acme", id="nl-bv-dotted"),
    pytest.param("QWK Media BV", "qwk media", id="nl-bv"),
    pytest.param("Acme N.V.", "acme", id="nl-nv"),
    pytest.param("Acme VOF", "acme", id="nl-vof"),
    # Russia: forms written before the name, Cyrillic or romanised.
    pytest.param("ООО «Северсофт»", "seversoft", id="ru-ooo-guillemets"),
    pytest.param('OOO "Seversoft"', "seversoft", id="ru-ooo-romanised"),
    pytest.param('ООО "Техгрупп-Пром"', "tekhgrupp prom", id="ru-ooo-hyphenated"),
    pytest.param("АО «Ромашка»", "romashka", id="ru-ao"),
    pytest.param('AO "Romashka"', "romashka", id="ru-ao-romanised"),
    pytest.param("ЗАО Ромашка", "romashka", id="ru-zao"),
    pytest.param("ПАО Сбербанк", "sberbank", id="ru-pao"),
    pytest.param("JSC Gazprom", "gazprom", id="ru-jsc-english"),
    # Neither legal forms nor symbols are part of a name.
    pytest.param("Acme™ GmbH", "acme", id="trademark-sign"),
    pytest.param("Acme Inc ®", "acme", id="registered-sign"),
    pytest.param("  acme   inc  ", "acme", id="spaces"),
    pytest.param("Vega Systems", "vega systems", id="no-legal-form"),
    pytest.param("Procter & Gamble", "procter gamble", id="ampersand"),
    # Western legal forms only close a name; words that merely look like one stay.
    pytest.param("Co-op", "co op", id="co-op-keeps-co"),
    pytest.param("AB InBev", "ab inbev", id="leading-ab-kept"),
])
def test_company_keys_drop_legal_forms_punctuation_and_case(raw: str, key: str) -> None:
    assert company_key(raw) == key


@pytest.mark.parametrize("variants", [
    pytest.param(("Acme Inc.", "ACME, INC", "Acme Incorporated", "acme"), id="us"),
    pytest.param(("Maspero S.p.A.", "Maspero SpA", "MASPERO S.P.A.", "Maspero"), id="it"),
    pytest.param(("Hauffer Maschinenbau GmbH", "Hauffer Maschinenbau GMBH", "Hauffer Maschinenbau"), id="de"),
    pytest.param(("ООО «Северсофт»", 'OOO "Seversoft"', "Seversoft LLC", "Северсофт"), id="ru"),
    pytest.param(("Kowalski Sp. z o.o.", "KOWALSKI SP. Z O.O.", "Kowalski sp. z o. o."), id="pl"),
])
def test_the_spellings_of_one_company_share_one_key(variants: tuple[str, ...]) -> None:
    assert len({company_key(variant) for variant in variants}) == 1


@pytest.mark.parametrize("raw", [
    pytest.param("n/a", id="n-a"),
    pytest.param("-", id="dash"),
    pytest.param("none", id="none"),
    pytest.param("test", id="test"),
    pytest.param("", id="empty"),
    pytest.param("   ", id="blank"),
])
def test_placeholder_company_names_are_no_company(raw: str) -> None:
    assert normalize_company(raw) is None


def test_the_display_form_keeps_the_name_as_written_but_trimmed() -> None:
    company = normalize_company("  Maspero   S.P.A. ")

    assert company is not None
    assert company.display == "Maspero S.P.A."
