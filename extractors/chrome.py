"""Portal chrome in extracted text: lines that belong to the site, not to the report."""

from __future__ import annotations

import re

_CHROME_LINE = re.compile(
    r"^(?:"
    r"登录|注册|登录\s*注册|登录\s*\|\s*注册|无障碍|长者模式|简体|繁体|English|"
    r"(?:当前位置|您现在的位置|您的位置|所在位置|当前的位置)[:：].*|"
    r"首页\s*[>>»›/].*|.*\s[>>»›]\s.*[>>»›]\s.*|"
    r"[【\[](?:打印|关闭|打印本页|关闭窗口|返回顶部|收藏|纠错|字体[:：]?.*|大|中|小)[】\]].*|"
    r"字体[:：]?\s*[【\[]?\s*大\s*中\s*小.*|字号[:：]?\s*[【\[]?\s*大\s*中\s*小.*|"
    r"分享到[:：]?.*|(?:点击数|浏览次数|阅读次数|访问次数|点击率|浏览量)[:：].*|.*(?:点击数|浏览次数)[:：]\s*\d*\s*$|"
    r"相关链接|相关文章|相关阅读|相关新闻|上一篇[:：].*|下一篇[:：].*|上一篇|下一篇|"
    r"(?:主办单位|承办单位|主办|承办|协办单位|维护单位|技术支持|网站标识码|版权所有|联系我们|网站地图|网站声明)[:：]?.*|"
    r".*(?:ICP备|ICP证|公网安备|网站标识码).*|"
    r"打印|关闭|打印本页|关闭窗口|扫一扫.*|微信扫一扫.*|手机版|"
    r".*_\d+(?:\s+\S{2,12}){0,4}"
    r")$"
)
_INFO_LINE = re.compile(r"(?:发布日期|发布时间|发表时间|公开日期|日期|时间|来源|信息来源|作者|文章来源)[:：]")


def is_chrome(line: str) -> bool:
    s = line.strip()
    return bool(s) and len(s) < 80 and _CHROME_LINE.match(s) is not None


def is_info_line(line: str) -> bool:
    """`来源：… 发布日期：…` under a title: metadata, captured before the line is dropped."""
    s = line.strip()
    return (len(s) < 120 and "|" not in s and "。" not in s and _INFO_LINE.search(s) is not None
            and not s.startswith(("一、", "（", "(")))


def clean_lines(text: str, title: str | None = None) -> str:
    """Drop chrome lines and, above the title, the short nav lines around it."""
    lines = [line.rstrip() for line in text.splitlines()]
    head_end = 0
    if title:
        for i, line in enumerate(lines[:15]):
            if line.strip() == title:
                head_end = i + 1
                break
    kept = []
    for i, line in enumerate(lines):
        s = line.strip()
        if i < head_end - 1 and len(s) < 60 and "。" not in s:
            continue  # navigation above the title
        if is_chrome(s) or is_info_line(s):
            continue
        kept.append(line)
    out = "\n".join(kept)
    return re.sub(r"\n{3,}", "\n\n", out).strip()
