"""Profiles: read one (a merged-away id redirects), look up by identifier, explain (``read``); erase one (``admin``)."""

from __future__ import annotations

import time
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import RedirectResponse, Response
from sqlmodel import Session

from service import audit, imports, ingest, queries, store
from service.dependencies import AdminKey, ConfigDep, EngineDep, MetricsDep, ReadKey
from service.metrics import observe_change
from service.routes.responses import BUSY, ERRORS
from service.schemas import (
    DeletionResponse,
    EvidenceEdgePublic,
    ExplanationPublic,
    GoldenProfilePublic,
    ProfileMatches,
    RefusedEdgePublic,
    event_public,
)

__all__ = ["router"]

router = APIRouter(prefix="/v1/profiles", tags=["profiles"])

ProfileIdPath = Annotated[str, Path(min_length=1, max_length=40)]
_REDIRECT: dict[int | str, dict[str, Any]] = {
    308: {"description": "The id was merged into another profile: follow Location to the live one.",
          "headers": {
              "Location": {"description": "/v1/profiles/{live id}", "schema": {"type": "string"}},
              "Cache-Control": {"description": "no-store: where the id points can change (it may be merged on, "
                                               "or answer itself again after a split)", "schema": {"type": "string"}},
          }},
}


def _key(source_record_id: tuple[str, str]) -> str:
    return f"{source_record_id[0]}/{source_record_id[1]}"


@router.get("", response_model=ProfileMatches, responses=ERRORS)
def lookup_profiles(
    engine: EngineDep, config: ConfigDep, _: ReadKey,
    email: Annotated[str | None, Query(max_length=512)] = None,
    phone: Annotated[str | None, Query(max_length=64)] = None,
    country: Annotated[str | None, Query(max_length=2, pattern=r"^[A-Za-z]{2}$",
                                         description="Region for a national-format phone number.")] = None,
    linkedin: Annotated[str | None, Query(max_length=2048)] = None,
    instagram: Annotated[str | None, Query(max_length=512)] = None,
    external_id: Annotated[str | None, Query(max_length=512, description="namespace:value")] = None,
    name: Annotated[str | None, Query(max_length=512, description="A full name; narrowed by company.")] = None,
    company: Annotated[str | None, Query(max_length=512)] = None,
) -> Response:
    """Find the live profiles holding any of the identifiers given; values go through the same normalizers as records.

    At most 50 profiles: those found by an identifier first (in the order of the parameters), then by
    name, by id within each; ``truncated`` is true when more records or profiles matched.
    """
    lookup = queries.Lookup(email=email, phone=phone, country=country.upper() if country else None,
                            linkedin=linkedin, instagram=instagram, external_id=external_id, name=name,
                            company=company)
    keys = queries.lookup_keys(lookup, default_region=config.default_region)
    with Session(engine) as session:
        matches = queries.find_profiles(session, keys=keys)
    # Stored golden profiles are already the public JSON (written through GoldenProfilePublic):
    # answer them as they are rather than parse, validate and serialize them again.
    return Response('{"profiles":[' + ",".join(matches.goldens) + '],"truncated":'
                    + ("true" if matches.truncated else "false") + "}", media_type="application/json")


@router.get("/{profile_id}", response_model=GoldenProfilePublic, responses={**ERRORS, **_REDIRECT})
def get_profile(profile_id: ProfileIdPath, engine: EngineDep, _: ReadKey) -> Response:
    """Return a golden profile; an id merged into another answers 308 with the live profile's URL."""
    with Session(engine) as session:
        profile = queries.get_profile(session, profile_id=profile_id)
    if profile.id != profile_id:
        # Not to be cached: where a merged-away id points changes when its target merges on, and
        # the id answers itself again once a split gives it back (a 308 is cacheable by default).
        return RedirectResponse(f"/v1/profiles/{profile.id}", status_code=308, headers={"Cache-Control": "no-store"})
    return Response(profile.golden, media_type="application/json")  # stored as the public JSON, see above


@router.get("/{profile_id}/explain", response_model=ExplanationPublic, responses=ERRORS)
def explain_profile(profile_id: ProfileIdPath, engine: EngineDep, config: ConfigDep,
                    _: ReadKey) -> ExplanationPublic:
    """Return the evidence graph of a profile: its records, the edges joining them, and refused merges."""
    with Session(engine) as session:
        profile = queries.get_profile(session, profile_id=profile_id)
        explanation = queries.explain_profile(session, profile=profile, config=config)
    return ExplanationPublic(
        profile_id=profile.id,
        records=[_key(key) for key in explanation.records],
        edges=[EvidenceEdgePublic(a=_key(e.a), b=_key(e.b), score=e.score, stage=e.stage, evidence=list(e.evidence))
               for e in explanation.edges],
        refused=[RefusedEdgePublic(a=_key(r.edge.a), b=_key(r.edge.b), score=r.edge.score, stage=r.edge.stage,
                                   evidence=list(r.edge.evidence), reason=r.reason) for r in explanation.refused],
    )


@router.delete("/{profile_id}", response_model=DeletionResponse, responses={**ERRORS, **BUSY})
def erase_profile(profile_id: ProfileIdPath, engine: EngineDep, config: ConfigDep, metrics: MetricsDep,
                  principal: AdminKey) -> DeletionResponse:
    """Erase a person: every record of the profile, and everything derived from them."""

    def work(session: Session) -> tuple[list[tuple[str, str]], ingest.ChangeOutcome]:
        profile = queries.get_profile(session, profile_id=profile_id)
        keys = [(row.source, row.source_record_id) for row in store.records_of_profile(session, profile_id=profile.id)]
        audit.record(session, actor=principal.key_id, request_id=principal.request_id, action="profile.erased",
                     target=profile.id, details={"records": len(keys)})
        imports.exclude_erased(session, keys=keys)
        return keys, ingest.apply_change(session, deletes=keys, config=config)

    started = time.perf_counter()
    keys, outcome = ingest.in_transaction(engine, work)
    ingest.empty_write_ahead_log(engine)
    observe_change(metrics, outcome=outcome, seconds=time.perf_counter() - started, operation="erase_profile")
    return DeletionResponse(erased=[_key(k) for k in sorted(keys)], changes=[event_public(e) for e in outcome.events])
