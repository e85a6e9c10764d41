"""Plain functions that write WordPress export (WXR) files for the import tests."""

from __future__ import annotations

from pathlib import Path


def cdata(value: str) -> str:
    return "<![CDATA[" + value.replace("]]>", "]]]]><![CDATA[>") + "]]>"


def comment(
    wp_id: int,
    content: str = "A comment.",
    *,
    parent: int = 0,
    approved: str = "1",
    author: str = "Reader",
    email: str = "reader@example.org",
    url: str = "",
    ip: str = "192.0.2.1",
    date_gmt: str = "2014-06-11 09:00:00",
    kind: str = "",
    user_id: int = 0,
) -> str:
    return f"""
      <wp:comment>
        <wp:comment_id>{wp_id}</wp:comment_id>
        <wp:comment_author>{cdata(author)}</wp:comment_author>
        <wp:comment_author_email>{cdata(email)}</wp:comment_author_email>
        <wp:comment_author_url>{url}</wp:comment_author_url>
        <wp:comment_author_IP>{cdata(ip)}</wp:comment_author_IP>
        <wp:comment_date>{cdata(date_gmt)}</wp:comment_date>
        <wp:comment_date_gmt>{cdata(date_gmt)}</wp:comment_date_gmt>
        <wp:comment_content>{cdata(content)}</wp:comment_content>
        <wp:comment_approved>{cdata(approved)}</wp:comment_approved>
        <wp:comment_type>{cdata(kind)}</wp:comment_type>
        <wp:comment_parent>{parent}</wp:comment_parent>
        <wp:comment_user_id>{user_id}</wp:comment_user_id>
      </wp:comment>"""


def item(
    wp_id: int,
    title: str = "A post",
    content: str = "First paragraph.\n\nSecond paragraph.",
    *,
    slug: str | None = None,
    post_type: str = "post",
    status: str = "publish",
    creator: str = "admin",
    date: str = "2014-06-10 12:00:00",
    date_gmt: str | None = None,
    excerpt: str = "",
    categories: tuple[tuple[str, str], ...] = (("news", "News"),),
    tags: tuple[tuple[str, str], ...] = (),
    comments: tuple[str, ...] = (),
    link: str | None = None,
    extra: str = "",
    plain: bool = False,
) -> str:
    """One <item>. ``plain`` writes text escaped instead of in CDATA sections."""

    def wrap(value: str) -> str:
        if plain:
            return value.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        return cdata(value)

    slug = f"post-{wp_id}" if slug is None else slug
    date_gmt = date if date_gmt is None else date_gmt
    link = (
        link if link is not None else f"https://old.example/{date[:10].replace('-', '/')}/{slug}/"
    )
    terms = "".join(
        f'<category domain="category" nicename="{nicename}">{wrap(name)}</category>'
        for nicename, name in categories
    ) + "".join(
        f'<category domain="post_tag" nicename="{nicename}">{wrap(name)}</category>'
        for nicename, name in tags
    )
    return f"""
    <item>
      <title>{wrap(title)}</title>
      <link>{link}</link>
      <pubDate>Tue, 10 Jun 2014 12:00:00 +0000</pubDate>
      <dc:creator>{wrap(creator)}</dc:creator>
      <guid isPermaLink="false">https://old.example/?p={wp_id}</guid>
      <description></description>
      <content:encoded>{wrap(content)}</content:encoded>
      <excerpt:encoded>{wrap(excerpt)}</excerpt:encoded>
      <wp:post_id>{wp_id}</wp:post_id>
      <wp:post_date>{wrap(date)}</wp:post_date>
      <wp:post_date_gmt>{wrap(date_gmt)}</wp:post_date_gmt>
      <wp:post_modified>{wrap(date)}</wp:post_modified>
      <wp:post_modified_gmt>{wrap(date_gmt)}</wp:post_modified_gmt>
      <wp:comment_status>open</wp:comment_status>
      <wp:ping_status>open</wp:ping_status>
      <wp:post_name>{wrap(slug)}</wp:post_name>
      <wp:status>{wrap(status)}</wp:status>
      <wp:post_parent>0</wp:post_parent>
      <wp:menu_order>0</wp:menu_order>
      <wp:post_type>{wrap(post_type)}</wp:post_type>
      <wp:post_password></wp:post_password>
      <wp:is_sticky>0</wp:is_sticky>
      {terms}{extra}{"".join(comments)}
    </item>"""


def author(login: str = "admin", display_name: str = "Ada Admin", wp_id: int = 1) -> str:
    return f"""
    <wp:author><wp:author_id>{wp_id}</wp:author_id><wp:author_login>{cdata(login)}</wp:author_login>
    <wp:author_email>{cdata(login + "@old.example")}</wp:author_email>
    <wp:author_display_name>{cdata(display_name)}</wp:author_display_name>
    <wp:author_first_name>{cdata("")}</wp:author_first_name>
    <wp:author_last_name>{cdata("")}</wp:author_last_name></wp:author>"""


def category(nicename: str, name: str, description: str = "") -> str:
    return f"""
    <wp:category><wp:term_id>1</wp:term_id><wp:category_nicename>{cdata(nicename)}</wp:category_nicename>
    <wp:category_parent>{cdata("")}</wp:category_parent><wp:cat_name>{cdata(name)}</wp:cat_name>
    <wp:category_description>{cdata(description)}</wp:category_description></wp:category>"""


def wxr(
    *items: str,
    authors: tuple[str, ...] = (author(),),
    terms: tuple[str, ...] = (category("news", "News", "All the news"),),
    version: str = "1.2",
    base_url: str = "https://old.example",
    prolog: str = "",
) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8" ?>{prolog}
<!-- This is a WordPress eXtended RSS file generated by WordPress as an export of your site. -->
<rss version="2.0"
  xmlns:excerpt="http://wordpress.org/export/{version}/excerpt/"
  xmlns:content="http://purl.org/rss/1.0/modules/content/"
  xmlns:wfw="http://wellformedweb.org/CommentAPI/"
  xmlns:dc="http://purl.org/dc/elements/1.1/"
  xmlns:wp="http://wordpress.org/export/{version}/">
  <channel>
    <title>Old Site</title>
    <link>{base_url}</link>
    <description>Just another WordPress site</description>
    <language>en-US</language>
    <wp:wxr_version>{version}</wp:wxr_version>
    <wp:base_site_url>{base_url}</wp:base_site_url>
    <wp:base_blog_url>{base_url}</wp:base_blog_url>
    {"".join(authors)}
    {"".join(terms)}
    {"".join(items)}
  </channel>
</rss>
"""


def write(tmp_path: Path, text: str, name: str = "export.xml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path
