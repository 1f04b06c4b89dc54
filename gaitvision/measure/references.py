"""Reference text and source for each metric, from ``../shared/design/metrics.md``.

Where metrics.md found no norm, the text says so: gaitvision never invents
one. Numbers marked there as weak or recalled are worded as such.
"""

from __future__ import annotations

__all__ = ["REFERENCES"]

_NO_NORM = "No established norm"

REFERENCES: dict[str, dict[str, str]] = {
    "cadence_spm": {
        "text": "No universal target (the '180 steps/min' figure is folklore). Raising cadence "
        "5-10% above the runner's own baseline at the same speed lowers knee energy absorption; "
        "+10% reduced pelvic drop, hip adduction and knee flexion in runners with knee pain.",
        "source": "Heiderscheit et al. 2011, Med Sci Sports Exerc 43(2):296-302; Bramah et al. 2019, "
        "Am J Sports Med 47(14):3406-3413",
    },
    "step_time_s": {
        "text": f"{_NO_NORM}; used for cadence and left/right asymmetry.",
        "source": "metrics.md §2.4",
    },
    "foot_strike_angle_deg": {
        "text": "Rearfoot strike above 7.4 deg, forefoot below -0.8 deg, midfoot between. Most "
        "recreational runners heel-strike (71-94%); no cut-off makes an angle abnormal, and raising "
        "cadence lowers it.",
        "source": "Mo, Huang, Ng & Cheung 2021, Res Sports Med; Souza 2016, Phys Med Rehabil Clin N "
        "Am 27(1):217-236; Anderson et al. 2022, Sports Med Open",
    },
    "foot_strike_pattern": {
        "text": "Classified from the strike angle: rearfoot > 7.4 deg, forefoot < -0.8 deg. "
        "A rearfoot strike is the norm, not a defect; injury links are mostly unclear.",
        "source": "Mo, Huang, Ng & Cheung 2021, Res Sports Med; Patoz et al. 2019, Sports",
    },
    "knee_flexion_ic_deg": {
        "text": f"{_NO_NORM} for 2D. About 21 deg at foot strike in 3D studies of level running "
        "(weak source); injured runners landed with a more extended knee.",
        "source": "Bramah et al. 2018, Am J Sports Med 46(12):3023-3031",
    },
    "knee_flexion_peak_stance_deg": {
        "text": f"{_NO_NORM} for 2D. About 36 deg in 3D (weak source); well under 45 deg may mean "
        "less shock absorption and under 40 deg may go with knee pain (narrative review). Raising "
        "cadence lowers it.",
        "source": "Souza 2016, Phys Med Rehabil Clin N Am 27(1):217-236; Anderson et al. 2022, "
        "Sports Med Open",
    },
    "shank_angle_ic_deg": {
        "text": f"{_NO_NORM}. A near-vertical shank at landing is suggested; runners with SI-joint "
        "pain showed more forward shank reach ('tibial overstride').",
        "source": "Souza 2016, Phys Med Rehabil Clin N Am 27(1):217-236; Whitney et al. 2022, "
        "J Phys Ther Sci 34(4):327-334",
    },
    "heel_to_hip_ic_pct_leg": {
        "text": f"{_NO_NORM}. Landing further ahead of the hip goes with larger braking force and knee "
        "extensor moment (overstriding).",
        "source": "Lieberman et al. 2015, J Exp Biol 218:3406-3414; Souza 2016 (citing Wille et al.)",
    },
    "trunk_lean_deg": {
        "text": "Self-selected forward lean 7.3 +/- 3.6 deg at 3.4 m/s. More upright running raised "
        "patellofemoral stress, but injured runners also leaned more: not a 'more is better' number.",
        "source": "Teng & Powers 2014, JOSPT; Bramah et al. 2018, Am J Sports Med 46(12):3023-3031",
    },
    "vertical_oscillation_pct_leg": {
        "text": f"{_NO_NORM}. It falls as cadence rises.",
        "source": "Heiderscheit et al. 2011, Med Sci Sports Exerc 43(2):296-302",
    },
    "contact_time_s": {
        "text": f"{_NO_NORM}; reported descriptively and for left/right asymmetry.",
        "source": "metrics.md §2.4",
    },
    "flight_time_s": {
        "text": f"{_NO_NORM}; reported descriptively and for left/right asymmetry.",
        "source": "metrics.md §2.4",
    },
    "duty_factor": {
        "text": f"{_NO_NORM}; below 0.5 in running (there is no double support).",
        "source": "metrics.md §2.4",
    },
    "knee_fppa_peak_deg": {
        "text": f"{_NO_NORM} for running. A 2D indicator of knee collapse (hip adduction and "
        "rotation), not a knee abduction angle. Single-leg squat, women: controls 8.4 +/- 5.1 deg, "
        "patellofemoral pain 16.8 +/- 5.4 deg.",
        "source": "Dingenen et al. (2D vs 3D running); Munro, Herrington & Carolan 2012, J Sport "
        "Rehabil 21(1):7-11",
    },
    "pelvic_drop_peak_deg": {
        "text": f"{_NO_NORM} in 2D ('< 5 deg' appears only in a clinic blog). Each extra degree of "
        "(3D) contralateral pelvic drop raised the odds of being an injured runner by 80%; +10% "
        "cadence reduced it by about 3 deg. Changes under ~3 deg are within measurement error.",
        "source": "Bramah et al. 2018, Am J Sports Med 46(12):3023-3031; Bramah et al. 2019, Am J "
        "Sports Med 47(14):3406-3413; Dingenen et al. 2018, Phys Ther Sport 33:40-47",
    },
    "hip_adduction_peak_deg": {
        "text": f"{_NO_NORM} in 2D. 2D pelvic drop and femoral adduction explained 88% of 3D hip "
        "adduction; +10% cadence reduced hip adduction by about 4 deg.",
        "source": "'Frontal plane kinematics predict three-dimensional hip adduction during running'; "
        "Bramah et al. 2019, Am J Sports Med 47(14):3406-3413",
    },
    "step_width_pct_hip": {
        "text": f"{_NO_NORM}; negative = the foot crosses the midline. Narrower steps raised "
        "iliotibial band strain.",
        "source": "Meardon, Campbell & Derrick 2012, Sports Biomech 11(4):464-472",
    },
}
