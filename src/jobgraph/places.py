"""Japan's 47 prefectures by their JIS X 0401 codes, in English and Japanese, and reading
one however a person writes it: "Osaka", "osaka", "Osaka-fu", "Ōsaka", "大阪府", "大阪",
"27" or "JP-27" are all Osaka. Postings, filters and tenant feeds keep the English name.
Source: JIS X 0401 (ISO 3166-2:JP), the names as the Geospatial Information Authority of
Japan lists them."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass


@dataclass(frozen=True)
class Prefecture:
    code: str  # JIS X 0401, two digits
    name: str  # English, as postings keep it
    name_ja: str  # with its 都, 道, 府 or 県


PREFECTURES: tuple[Prefecture, ...] = tuple(
    Prefecture(f"{index:02d}", name, name_ja)
    for index, (name, name_ja) in enumerate(
        (
            ("Hokkaido", "北海道"),
            ("Aomori", "青森県"),
            ("Iwate", "岩手県"),
            ("Miyagi", "宮城県"),
            ("Akita", "秋田県"),
            ("Yamagata", "山形県"),
            ("Fukushima", "福島県"),
            ("Ibaraki", "茨城県"),
            ("Tochigi", "栃木県"),
            ("Gunma", "群馬県"),
            ("Saitama", "埼玉県"),
            ("Chiba", "千葉県"),
            ("Tokyo", "東京都"),
            ("Kanagawa", "神奈川県"),
            ("Niigata", "新潟県"),
            ("Toyama", "富山県"),
            ("Ishikawa", "石川県"),
            ("Fukui", "福井県"),
            ("Yamanashi", "山梨県"),
            ("Nagano", "長野県"),
            ("Gifu", "岐阜県"),
            ("Shizuoka", "静岡県"),
            ("Aichi", "愛知県"),
            ("Mie", "三重県"),
            ("Shiga", "滋賀県"),
            ("Kyoto", "京都府"),
            ("Osaka", "大阪府"),
            ("Hyogo", "兵庫県"),
            ("Nara", "奈良県"),
            ("Wakayama", "和歌山県"),
            ("Tottori", "鳥取県"),
            ("Shimane", "島根県"),
            ("Okayama", "岡山県"),
            ("Hiroshima", "広島県"),
            ("Yamaguchi", "山口県"),
            ("Tokushima", "徳島県"),
            ("Kagawa", "香川県"),
            ("Ehime", "愛媛県"),
            ("Kochi", "高知県"),
            ("Fukuoka", "福岡県"),
            ("Saga", "佐賀県"),
            ("Nagasaki", "長崎県"),
            ("Kumamoto", "熊本県"),
            ("Oita", "大分県"),
            ("Miyazaki", "宮崎県"),
            ("Kagoshima", "鹿児島県"),
            ("Okinawa", "沖縄県"),
        ),
        start=1,
    )
)

BY_NAME = {prefecture.name: prefecture for prefecture in PREFECTURES}

# English suffixes people add: "Osaka-fu", "Tokyo To", "Aichi Prefecture", "Hokkai-do".
_ENGLISH_SUFFIX = re.compile(r"[\s-]*(prefecture|ken|fu|to|do)$")


def _key(text: str) -> str:
    """Lower case, without accents (Ōsaka, Kōchi), spaces or hyphens."""
    plain = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text))
    plain = "".join(c for c in plain if not unicodedata.combining(c)).lower()
    return re.sub(r"[\s-]", "", plain)


def _spellings(prefecture: Prefecture) -> set[str]:
    english = _key(prefecture.name)
    japanese = prefecture.name_ja
    spellings = {
        prefecture.code,
        prefecture.code.lstrip("0"),
        f"jp{prefecture.code}",
        english,
        japanese,
        japanese[:-1],  # without 都, 道, 府 or 県 (北海道 reads as 北海 too)
    }
    # "Hokkaido" is "Hokkai-do": its do is a suffix too, as are the others' ken, fu, to.
    for suffix in ("prefecture", "ken", "fu", "to", "do"):
        spellings.add(english + suffix)
    if english.endswith("do"):
        spellings.add(english.removesuffix("do"))
    return spellings


_SPELLINGS = {
    spelling: prefecture for prefecture in PREFECTURES for spelling in _spellings(prefecture)
}


def prefecture_of(text: str) -> Prefecture | None:
    """The prefecture ``text`` names, in any of the ways above, or None."""
    key = _key(text.strip())
    found = _SPELLINGS.get(key)
    if found is None:
        found = _SPELLINGS.get(_ENGLISH_SUFFIX.sub("", key))
    return found


def unknown_prefecture(text: str) -> str:
    """A message for a place that is no prefecture: what would be."""
    names = ", ".join(f"{p.name} ({p.code})" for p in PREFECTURES)
    return (
        f"'{text}' is not a prefecture of Japan. Give its name in English or Japanese "
        f"(Osaka, 大阪府 or 大阪) or its JIS X 0401 code: {names}."
    )
