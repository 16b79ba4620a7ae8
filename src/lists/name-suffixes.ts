/**
 * Top-level (and common second-level) domains stored as one byte in the domain table. Most
 * listed names end in one of these, so ".com" costs 1 byte instead of 4: about 2.5 bytes per
 * name, 2.5 MB per million. Code 0 means "no suffix". The order is part of the list cache
 * format: append only, and bump CACHE_FORMAT when it changes.
 */
export const NAME_SUFFIXES: readonly string[] = [
  '',
  '.com', '.net', '.org', '.ru', '.de', '.info', '.io', '.cn', '.xyz', '.top', '.co.uk', '.com.br', '.fr', '.pl',
  '.jp', '.online', '.site', '.club', '.biz', '.tk', '.in', '.com.au', '.nl', '.it', '.es', '.br', '.uk', '.eu',
  '.us', '.me', '.tv', '.cc', '.co', '.app', '.pro', '.vip', '.shop', '.live', '.store', '.tech', '.space', '.website',
  '.ua', '.kr', '.vn', '.id', '.ir', '.tr', '.cz', '.ro', '.hu', '.gr', '.be', '.ch', '.at', '.se', '.dk', '.no',
  '.fi', '.pt', '.ca', '.au', '.mx', '.ar', '.cl', '.co.jp', '.co.in', '.com.cn', '.com.tr', '.com.mx', '.net.cn',
  '.org.uk', '.ga', '.ml', '.cf', '.gq', '.pw', '.ws', '.icu', '.buzz', '.fun', '.link', '.click', '.win', '.loan',
  '.work', '.tw', '.hk', '.sg', '.my', '.th', '.ph', '.pk', '.bd', '.ng', '.za', '.cloud', '.dev', '.ai', '.gg',
  '.to', '.su', '.by', '.kz', '.lt', '.lv', '.ee', '.sk', '.si', '.hr', '.rs', '.bg', '.news', '.blog', '.ltd', '.group',
];
if (NAME_SUFFIXES.length > 128) throw new Error('at most 127 name suffixes fit the terminator byte');
