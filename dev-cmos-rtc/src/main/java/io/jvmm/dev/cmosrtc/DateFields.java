package io.jvmm.dev.cmosrtc;

/**
 * A proleptic-Gregorian calendar breakdown of epoch seconds (UTC arithmetic, no zones), reused
 * in place so register accesses allocate nothing. Day-count conversions follow Howard Hinnant's
 * public-domain {@code days_from_civil}/{@code civil_from_days} algorithms.
 */
final class DateFields {
    int year;
    /** 1..12 */
    int month;
    /** 1..31 */
    int day;
    int hour;
    int minute;
    int second;
    /** 1 = Sunday .. 7 = Saturday, the RTC's convention. */
    int dayOfWeek;

    void setEpochSeconds(long epochSeconds) {
        long days = Math.floorDiv(epochSeconds, 86_400L);
        int secondOfDay = (int) Math.floorMod(epochSeconds, 86_400L);
        hour = secondOfDay / 3600;
        minute = secondOfDay / 60 % 60;
        second = secondOfDay % 60;
        dayOfWeek = (int) Math.floorMod(days + 4, 7L) + 1; // 1970-01-01 was a Thursday

        long z = days + 719_468;
        long era = Math.floorDiv(z, 146_097L);
        long doe = z - era * 146_097;
        long yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
        long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
        long mp = (5 * doy + 2) / 153;
        day = (int) (doy - (153 * mp + 2) / 5 + 1);
        month = (int) (mp < 10 ? mp + 3 : mp - 9);
        year = (int) (yoe + era * 400 + (month <= 2 ? 1 : 0));
    }

    /** Seconds since the epoch; out-of-range days roll over (31 April is 1 May). */
    long toEpochSeconds() {
        return daysFromCivil(year, month, day) * 86_400L + hour * 3600L + minute * 60L + second;
    }

    static long daysFromCivil(long y, int m, int d) {
        y -= m <= 2 ? 1 : 0;
        long era = Math.floorDiv(y, 400L);
        long yoe = y - era * 400;
        long doy = (153L * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
        long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
        return era * 146_097 + doe - 719_468;
    }
}
