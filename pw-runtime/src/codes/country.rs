//! [`CountryCode`]: an ISO 3166-1 country.

use std::fmt;

use iso_country::Country;

/// An ISO 3166-1 country, such as `CountryCode::USA`: one constant per
/// country, named by its alpha-3 code, printed as its alpha-2 code.
///
/// ```
/// use pw_runtime::CountryCode;
///
/// let us = CountryCode::for_alpha2("US").unwrap();
/// assert_eq!(us, CountryCode::USA);
/// assert_eq!((us.alpha2(), us.alpha3()), ("US", "USA"));
/// assert_eq!(CountryCode::for_alpha3("DEU"), Ok(CountryCode::DEU));
/// assert_eq!(CountryCode::DEU.name(), "Germany");
/// assert!(CountryCode::for_alpha2("us").is_err(), "codes are upper case");
/// assert_eq!(CountryCode::GBR.to_string(), "GB");
/// ```
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct CountryCode(Country);

/// A text that is not the ISO 3166-1 code of a country.
///
/// ```
/// let err = pw_runtime::CountryCode::for_alpha2("XX").unwrap_err();
/// assert_eq!(err.to_string(), "`XX` is not an ISO 3166-1 country code");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{0}` is not an ISO 3166-1 country code")]
pub struct UnknownCountryCode(pub String);

impl CountryCode {
    /// The country of an alpha-2 code (`US`, upper case).
    ///
    /// # Errors
    ///
    /// [`UnknownCountryCode`] when `code` is not one.
    ///
    /// ```
    /// assert_eq!(pw_runtime::CountryCode::for_alpha2("BR"), Ok(pw_runtime::CountryCode::BRA));
    /// ```
    pub fn for_alpha2(code: &str) -> Result<CountryCode, UnknownCountryCode> {
        crate::value::codes::country_alpha2(code).ok_or_else(|| UnknownCountryCode(code.to_owned()))
    }

    /// The country of an alpha-3 code (`USA`, upper case).
    ///
    /// # Errors
    ///
    /// [`UnknownCountryCode`] when `code` is not one.
    ///
    /// ```
    /// assert_eq!(pw_runtime::CountryCode::for_alpha3("CHN"), Ok(pw_runtime::CountryCode::CHN));
    /// ```
    pub fn for_alpha3(code: &str) -> Result<CountryCode, UnknownCountryCode> {
        crate::value::codes::country_alpha3(code).ok_or_else(|| UnknownCountryCode(code.to_owned()))
    }

    /// The English short name.
    ///
    /// ```
    /// assert_eq!(pw_runtime::CountryCode::FRA.name(), "France");
    /// ```
    pub fn name(self) -> &'static str {
        self.0.name()
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The constant's name, as `CountryCode::DEU` is written.
        f.write_str(self.alpha3())
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.alpha2())
    }
}

/// The constants, [`CountryCode::all`], `alpha2` and `alpha3`, from one
/// list of `alpha-3 alpha-2` pairs (checked against `iso_country` below).
macro_rules! countries {
    ($($alpha3:ident $alpha2:ident,)*) => {
        impl CountryCode {
            $(
                #[doc = concat!("`", stringify!($alpha2), "` / `", stringify!($alpha3), "`.")]
                pub const $alpha3: CountryCode = CountryCode(Country::$alpha2);
            )*

            /// Every country, in the order of their alpha-3 codes.
            ///
            /// ```
            /// assert!(pw_runtime::CountryCode::all().contains(&pw_runtime::CountryCode::USA));
            /// ```
            pub const fn all() -> &'static [CountryCode] {
                &[$(CountryCode::$alpha3),*]
            }

            /// The alpha-2 code, such as `US`.
            ///
            /// ```
            /// assert_eq!(pw_runtime::CountryCode::USA.alpha2(), "US");
            /// ```
            pub fn alpha2(self) -> &'static str {
                match self.0 {
                    $(Country::$alpha2 => stringify!($alpha2),)*
                    Country::Unspecified => "",
                }
            }

            /// The alpha-3 code, such as `USA`.
            ///
            /// ```
            /// assert_eq!(pw_runtime::CountryCode::USA.alpha3(), "USA");
            /// ```
            pub fn alpha3(self) -> &'static str {
                match self.0 {
                    $(Country::$alpha2 => stringify!($alpha3),)*
                    Country::Unspecified => "",
                }
            }
        }
    };
}

countries! {
    ABW AW, AFG AF, AGO AO, AIA AI, ALA AX, ALB AL, AND AD, ARE AE,
    ARG AR, ARM AM, ASM AS, ATA AQ, ATF TF, ATG AG, AUS AU, AUT AT,
    AZE AZ, BDI BI, BEL BE, BEN BJ, BES BQ, BFA BF, BGD BD, BGR BG,
    BHR BH, BHS BS, BIH BA, BLM BL, BLR BY, BLZ BZ, BMU BM, BOL BO,
    BRA BR, BRB BB, BRN BN, BTN BT, BVT BV, BWA BW, CAF CF, CAN CA,
    CCK CC, CHE CH, CHL CL, CHN CN, CIV CI, CMR CM, COD CD, COG CG,
    COK CK, COL CO, COM KM, CPV CV, CRI CR, CUB CU, CUW CW, CXR CX,
    CYM KY, CYP CY, CZE CZ, DEU DE, DJI DJ, DMA DM, DNK DK, DOM DO,
    DZA DZ, ECU EC, EGY EG, ERI ER, ESH EH, ESP ES, EST EE, ETH ET,
    FIN FI, FJI FJ, FLK FK, FRA FR, FRO FO, FSM FM, GAB GA, GBR GB,
    GEO GE, GGY GG, GHA GH, GIB GI, GIN GN, GLP GP, GMB GM, GNB GW,
    GNQ GQ, GRC GR, GRD GD, GRL GL, GTM GT, GUF GF, GUM GU, GUY GY,
    HKG HK, HMD HM, HND HN, HRV HR, HTI HT, HUN HU, IDN ID, IMN IM,
    IND IN, IOT IO, IRL IE, IRN IR, IRQ IQ, ISL IS, ISR IL, ITA IT,
    JAM JM, JEY JE, JOR JO, JPN JP, KAZ KZ, KEN KE, KGZ KG, KHM KH,
    KIR KI, KNA KN, KOR KR, KWT KW, LAO LA, LBN LB, LBR LR, LBY LY,
    LCA LC, LIE LI, LKA LK, LSO LS, LTU LT, LUX LU, LVA LV, MAC MO,
    MAF MF, MAR MA, MCO MC, MDA MD, MDG MG, MDV MV, MEX MX, MHL MH,
    MKD MK, MLI ML, MLT MT, MMR MM, MNE ME, MNG MN, MNP MP, MOZ MZ,
    MRT MR, MSR MS, MTQ MQ, MUS MU, MWI MW, MYS MY, MYT YT, NAM NA,
    NCL NC, NER NE, NFK NF, NGA NG, NIC NI, NIU NU, NLD NL, NOR NO,
    NPL NP, NRU NR, NZL NZ, OMN OM, PAK PK, PAN PA, PCN PN, PER PE,
    PHL PH, PLW PW, PNG PG, POL PL, PRI PR, PRK KP, PRT PT, PRY PY,
    PSE PS, PYF PF, QAT QA, REU RE, ROU RO, RUS RU, RWA RW, SAU SA,
    SDN SD, SEN SN, SGP SG, SGS GS, SHN SH, SJM SJ, SLB SB, SLE SL,
    SLV SV, SMR SM, SOM SO, SPM PM, SRB RS, SSD SS, STP ST, SUR SR,
    SVK SK, SVN SI, SWE SE, SWZ SZ, SXM SX, SYC SC, SYR SY, TCA TC,
    TCD TD, TGO TG, THA TH, TJK TJ, TKL TK, TKM TM, TLS TL, TON TO,
    TTO TT, TUN TN, TUR TR, TUV TV, TWN TW, TZA TZ, UGA UG, UKR UA,
    UMI UM, URY UY, USA US, UZB UZ, VAT VA, VCT VC, VEN VE, VGB VG,
    VIR VI, VNM VN, VUT VU, WLF WF, WSM WS, YEM YE, ZAF ZA, ZMB ZM,
    ZWE ZW,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_iso_country_s() {
        let data = iso_country::data::all();
        assert_eq!(data.len(), CountryCode::all().len());
        for entry in data {
            let country = CountryCode::for_alpha2(entry.alpha2).unwrap();
            assert_eq!(country.alpha3(), entry.alpha3, "{}", entry.alpha2);
            assert_eq!(country.name(), entry.name);
        }
        assert!(CountryCode::all()
            .windows(2)
            .all(|w| w[0].alpha3() < w[1].alpha3()));
    }
}
