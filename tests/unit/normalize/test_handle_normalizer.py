"""Social handles on six platforms: bare, with ``@`` or as a profile URL → one lower-case handle."""

from __future__ import annotations

import pytest

from resolvers.normalize.handles import PLATFORMS, Handle, normalize_handle
from resolvers.normalize.rejection import Rejection


def test_the_six_supported_platforms_are_known() -> None:
    assert sorted(PLATFORMS) == ["facebook", "instagram", "snapchat", "tiktok", "x", "youtube"]


@pytest.mark.parametrize(("platform", "raw", "handle"), [
    pytest.param("instagram", "@Marco.Rossi", "marco.rossi", id="instagram-at-case"),
    pytest.param("instagram", "_franciscogarcia_", "_franciscogarcia_", id="instagram-underscores"),
    pytest.param("instagram", "Fernandocastro", "fernandocastro", id="instagram-capital"),
    pytest.param("instagram", "https://www.instagram.com/_ignacykaczan_/", "_ignacykaczan_", id="instagram-url"),
    pytest.param("instagram", "instagram.com/larissacavalcanti.official", "larissacavalcanti.official",
                 id="instagram-url-no-scheme"),
    pytest.param("instagram", "https://www.instagram.com/marco.rossi/?hl=it", "marco.rossi", id="instagram-query"),
    pytest.param("instagram", "instagr.am/marco", "marco", id="instagram-short-host"),
    pytest.param("instagram", "@levi.pastor.85 ", "levi.pastor.85", id="instagram-trailing-space"),
    pytest.param("tiktok", "@Marco.Rossi", "marco.rossi", id="tiktok-at"),
    pytest.param("tiktok", "https://www.tiktok.com/@marco.rossi", "marco.rossi", id="tiktok-url"),
    pytest.param("tiktok", "https://www.tiktok.com/@marco.rossi/video/7212345678901234567", "marco.rossi",
                 id="tiktok-video-url"),
    pytest.param("tiktok", "tiktok.com/@Giulia_B?lang=it", "giulia_b", id="tiktok-query"),
    pytest.param("x", "@JackDorsey", "jackdorsey", id="x-at"),
    pytest.param("x", "https://twitter.com/jack", "jack", id="x-twitter-url"),
    pytest.param("x", "https://x.com/Jack/status/20", "jack", id="x-status-url"),
    pytest.param("x", "x.com/jack", "jack", id="x-no-scheme"),
    pytest.param("x", "https://mobile.twitter.com/jack", "jack", id="x-mobile"),
    pytest.param("x", "twitter.com/@jack", "jack", id="x-at-in-url"),
    pytest.param("facebook", "https://www.facebook.com/marco.rossi.5", "marco.rossi.5", id="facebook-url"),
    pytest.param("facebook", "https://m.facebook.com/marco.rossi.5/", "marco.rossi.5", id="facebook-mobile"),
    pytest.param("facebook", "fb.com/marco.rossi", "marco.rossi", id="facebook-fb-com"),
    pytest.param("facebook", "https://www.facebook.com/profile.php?id=100004123456789", "id:100004123456789",
                 id="facebook-numeric-id"),
    pytest.param("facebook", "https://www.facebook.com/people/Marco-Rossi/100004123456789/", "id:100004123456789",
                 id="facebook-people-url"),
    pytest.param("facebook", "Marco.Rossi", "marco.rossi", id="facebook-bare"),
    pytest.param("youtube", "https://www.youtube.com/@MarcoRossi", "marcorossi", id="youtube-at-url"),
    pytest.param("youtube", "https://www.youtube.com/c/MarcoRossi", "marcorossi", id="youtube-c"),
    pytest.param("youtube", "https://www.youtube.com/user/marcorossi", "marcorossi", id="youtube-user"),
    pytest.param("youtube", "https://www.youtube.com/channel/UC_x5XG1OV2P6uZZ5FSM9Ttw",
                 "channel:uc_x5xg1ov2p6uzz5fsm9ttw", id="youtube-channel-id"),
    pytest.param("youtube", "@MarcoRossi", "marcorossi", id="youtube-at"),
    pytest.param("snapchat", "https://www.snapchat.com/add/marco_rossi", "marco_rossi", id="snapchat-add-url"),
    pytest.param("snapchat", "snapchat.com/add/marco-r", "marco-r", id="snapchat-hyphen"),
    pytest.param("snapchat", "@Marco.Rossi", "marco.rossi", id="snapchat-at"),
    pytest.param("snapchat", "marco_rossi", "marco_rossi", id="snapchat-bare"),
])
def test_handles_and_profile_urls_become_the_lower_case_handle(platform: str, raw: str, handle: str) -> None:
    result = normalize_handle(raw, platform=platform)

    assert result == Handle(platform=platform, handle=handle)


@pytest.mark.parametrize(("platform", "raw", "code"), [
    pytest.param("instagram", "https://instagram.com/p/Cxyz123/", "not_a_profile", id="instagram-post"),
    pytest.param("instagram", "https://www.instagram.com/explore/tags/food/", "not_a_profile",
                 id="instagram-explore"),
    pytest.param("instagram", "marco rossi", "invalid_handle", id="instagram-space"),
    pytest.param("instagram", "marco_rossi_official_account_xyz", "invalid_handle", id="instagram-31-chars"),
    pytest.param("instagram", "https://www.tiktok.com/@marco", "invalid_handle", id="instagram-other-site"),
    pytest.param("instagram", "n/a", "placeholder", id="instagram-n-a"),
    pytest.param("instagram", "@", "placeholder", id="instagram-bare-at"),
    pytest.param("instagram", "", "empty", id="instagram-empty"),
    pytest.param("tiktok", "https://vm.tiktok.com/ZMabc123/", "not_a_profile", id="tiktok-short-video-link"),
    pytest.param("tiktok", "https://www.tiktok.com/tag/food", "not_a_profile", id="tiktok-tag-page"),
    pytest.param("tiktok", "tiktok.com/@m", "invalid_handle", id="tiktok-too-short"),
    pytest.param("x", "jack.dorsey", "invalid_handle", id="x-no-dots"),
    pytest.param("x", "a_very_long_handle_x", "invalid_handle", id="x-too-long"),
    pytest.param("x", "https://twitter.com/search?q=x", "not_a_profile", id="x-search"),
    pytest.param("facebook", "https://www.facebook.com/groups/1234", "not_a_profile", id="facebook-group"),
    pytest.param("facebook", "https://www.facebook.com/people/Marco-Rossi/", "not_a_profile",
                 id="facebook-people-without-id"),
    pytest.param("facebook", "https://www.facebook.com/profile.php", "invalid_handle", id="facebook-no-id"),
    pytest.param("youtube", "https://www.youtube.com/watch?v=abc", "not_a_profile", id="youtube-video"),
    pytest.param("youtube", "https://youtu.be/abc", "invalid_handle", id="youtube-short-link"),
    pytest.param("snapchat", "1marco", "invalid_handle", id="snapchat-starts-with-digit"),
    pytest.param("snapchat", "none", "placeholder", id="snapchat-none"),
    pytest.param("myspace", "marco", "unknown_platform", id="unknown-platform"),
])
def test_pages_that_are_not_profiles_and_impossible_handles_are_rejected(platform: str, raw: str, code: str) -> None:
    result = normalize_handle(raw, platform=platform)

    assert isinstance(result, Rejection)
    assert result.code == code
    assert result.message
