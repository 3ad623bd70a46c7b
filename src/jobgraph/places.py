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


@dataclass(frozen=True)
class RailwayLine:
    name: str
    name_ja: str


@dataclass(frozen=True)
class Station:
    name: str  # in English, as postings keep it
    name_ja: str
    prefecture: str
    lines: tuple[RailwayLine, ...]


def _line(name: str, name_ja: str) -> RailwayLine:
    return RailwayLine(name, name_ja)


# Lines of the stations below, as their operators name them on their route maps (JR East,
# JR Central, JR West, JR Kyushu, JR Hokkaido, Tokyo Metro, Toei, Tokyu, Keio, Odakyu,
# Keikyu, Yokohama Minatomirai Railway, Yokohama, Nagoya, Osaka, Kyoto, Kobe, Fukuoka and
# Sapporo municipal subways, Meitetsu, Kintetsu, Hankyu, Hanshin, Nankai, Kobe New Transit).
YAMANOTE = _line("JR Yamanote Line", "JR山手線")
CHUO = _line("JR Chuo Line", "JR中央線")
TOKAIDO_SHINKANSEN = _line("Tokaido Shinkansen", "東海道新幹線")
TOKAIDO = _line("JR Tokaido Line", "JR東海道線")
GINZA = _line("Tokyo Metro Ginza Line", "東京メトロ銀座線")
HANZOMON = _line("Tokyo Metro Hanzomon Line", "東京メトロ半蔵門線")
FUKUTOSHIN = _line("Tokyo Metro Fukutoshin Line", "東京メトロ副都心線")
MARUNOUCHI = _line("Tokyo Metro Marunouchi Line", "東京メトロ丸ノ内線")
HIBIYA = _line("Tokyo Metro Hibiya Line", "東京メトロ日比谷線")
OEDO = _line("Toei Oedo Line", "都営大江戸線")
TOEI_SHINJUKU = _line("Toei Shinjuku Line", "都営新宿線")
TOYOKO = _line("Tokyu Toyoko Line", "東急東横線")
INOKASHIRA = _line("Keio Inokashira Line", "京王井の頭線")
KEIO = _line("Keio Line", "京王線")
ODAKYU = _line("Odakyu Odawara Line", "小田急小田原線")
KEIKYU = _line("Keikyu Main Line", "京急本線")
MINATOMIRAI = _line("Minatomirai Line", "みなとみらい線")
BLUE_LINE = _line("Yokohama Municipal Subway Blue Line", "横浜市営地下鉄ブルーライン")
HIGASHIYAMA = _line("Nagoya Subway Higashiyama Line", "名古屋市営地下鉄東山線")
SAKURADORI = _line("Nagoya Subway Sakura-dori Line", "名古屋市営地下鉄桜通線")
MEITETSU = _line("Meitetsu Nagoya Main Line", "名鉄名古屋本線")
MIDOSUJI = _line("Osaka Metro Midosuji Line", "Osaka Metro御堂筋線")
YOTSUBASHI = _line("Osaka Metro Yotsubashi Line", "Osaka Metro四つ橋線")
SENNICHIMAE = _line("Osaka Metro Sennichimae Line", "Osaka Metro千日前線")
HANKYU_KOBE = _line("Hankyu Kobe Line", "阪急神戸線")
HANSHIN = _line("Hanshin Main Line", "阪神本線")
NANKAI = _line("Nankai Main Line", "南海本線")
KINTETSU_NAMBA = _line("Kintetsu Namba Line", "近鉄難波線")
KINTETSU_NARA = _line("Kintetsu Nara Line", "近鉄奈良線")
KINTETSU_KYOTO = _line("Kintetsu Kyoto Line", "近鉄京都線")
JR_KYOTO = _line("JR Kyoto Line", "JR京都線")
JR_NARA = _line("JR Nara Line", "JR奈良線")
KARASUMA = _line("Kyoto Subway Karasuma Line", "京都市営地下鉄烏丸線")
JR_KOBE = _line("JR Kobe Line", "JR神戸線")
SEISHIN_YAMATE = _line("Kobe Subway Seishin-Yamate Line", "神戸市営地下鉄西神・山手線")
PORT_LINER = _line("Port Liner", "ポートライナー")
SANYO_SHINKANSEN = _line("Sanyo Shinkansen", "山陽新幹線")
KYUSHU_SHINKANSEN = _line("Kyushu Shinkansen", "九州新幹線")
KAGOSHIMA = _line("JR Kagoshima Main Line", "JR鹿児島本線")
KUKO = _line("Fukuoka Subway Kuko Line", "福岡市地下鉄空港線")
HAKODATE = _line("JR Hakodate Main Line", "JR函館本線")
NAMBOKU = _line("Sapporo Subway Namboku Line", "札幌市営地下鉄南北線")
TOHO = _line("Sapporo Subway Toho Line", "札幌市営地下鉄東豊線")

# The stations of the demo's places (demo.py), with the lines that serve them.
STATIONS: tuple[Station, ...] = (
    Station("Shibuya", "渋谷", "Tokyo", (YAMANOTE, GINZA, HANZOMON, FUKUTOSHIN, TOYOKO,
                                         INOKASHIRA)),
    Station("Shinjuku", "新宿", "Tokyo", (YAMANOTE, CHUO, MARUNOUCHI, OEDO, TOEI_SHINJUKU,
                                          KEIO, ODAKYU)),
    Station("Roppongi", "六本木", "Tokyo", (HIBIYA, OEDO)),
    Station("Tokyo", "東京", "Tokyo", (YAMANOTE, CHUO, TOKAIDO_SHINKANSEN, TOKAIDO,
                                       MARUNOUCHI)),
    Station("Yokohama", "横浜", "Kanagawa", (TOKAIDO, KEIKYU, TOYOKO, MINATOMIRAI,
                                             BLUE_LINE)),
    Station("Nagoya", "名古屋", "Aichi", (TOKAIDO_SHINKANSEN, TOKAIDO, HIGASHIYAMA,
                                          SAKURADORI, MEITETSU)),
    Station("Umeda", "梅田", "Osaka", (MIDOSUJI, HANKYU_KOBE, HANSHIN)),
    Station("Namba", "なんば", "Osaka", (MIDOSUJI, YOTSUBASHI, SENNICHIMAE, NANKAI,
                                         KINTETSU_NAMBA)),
    Station("Kyoto", "京都", "Kyoto", (TOKAIDO_SHINKANSEN, JR_KYOTO, JR_NARA, KARASUMA,
                                       KINTETSU_KYOTO)),
    Station("Sannomiya", "三宮", "Hyogo", (JR_KOBE, HANKYU_KOBE, HANSHIN, SEISHIN_YAMATE,
                                           PORT_LINER)),
    Station("Kintetsu-Nara", "近鉄奈良", "Nara", (KINTETSU_NARA,)),
    Station("Hakata", "博多", "Fukuoka", (SANYO_SHINKANSEN, KYUSHU_SHINKANSEN, KAGOSHIMA,
                                          KUKO)),
    Station("Sapporo", "札幌", "Hokkaido", (HAKODATE, NAMBOKU, TOHO)),
)  # fmt: skip

STATION_BY_NAME = {station.name: station for station in STATIONS}
LINES: tuple[RailwayLine, ...] = tuple(
    sorted({line for station in STATIONS for line in station.lines}, key=lambda line: line.name)
)


def _station_key(text: str) -> str:
    key = _key(text.strip()).removesuffix("駅").removesuffix("station")
    return key.removesuffix("eki") if key.endswith("eki") and len(key) > 3 else key


_STATION_SPELLINGS = {
    spelling: station
    for station in STATIONS
    for spelling in (_station_key(station.name), _station_key(station.name_ja))
} | {"難波": STATION_BY_NAME["Namba"], "三ノ宮": STATION_BY_NAME["Sannomiya"]}
_LINE_SPELLINGS = {
    spelling: line for line in LINES for spelling in (_key(line.name), _key(line.name_ja))
}


def station_of(text: str) -> Station | None:
    """A station of the table, by its English or Japanese name (with or without 駅)."""
    return _STATION_SPELLINGS.get(_station_key(text))


def line_of(text: str) -> RailwayLine | None:
    """A line of the table, by its English or Japanese name, in any case."""
    return _LINE_SPELLINGS.get(_key(text))


def stations_on(line: RailwayLine) -> list[Station]:
    return [station for station in STATIONS if line in station.lines]


def unknown_line(text: str) -> str:
    return f"'{text}' is none of the lines this service knows: " + ", ".join(
        line.name for line in LINES
    )
