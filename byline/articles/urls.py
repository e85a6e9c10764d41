from django.urls import path

from byline.articles import feeds, sitemaps, views
from byline.articles.hooks import cacheable

app_name = "articles"

urlpatterns = [
    path("", cacheable(views.ArticleListView.as_view()), name="home"),
    path("articles/<str:slug>/", cacheable(views.ArticleDetailView.as_view()), name="detail"),
    path("articles/<str:slug>/unlock/", views.unlock, name="unlock"),
    path("section/<str:slug>/", cacheable(views.SectionView.as_view()), name="section"),
    path("tag/<str:slug>/", cacheable(views.TagView.as_view()), name="tag"),
    path("author/<str:slug>/", cacheable(views.AuthorView.as_view()), name="author"),
    path("preview/<int:pk>/", views.preview, name="preview"),
    path("search/", views.search_page, name="search"),
    path("robots.txt", sitemaps.robots_txt, name="robots"),
    path("sitemap.xml", cacheable(sitemaps.sitemap_index), name="sitemap"),
    path("sitemap-news.xml", cacheable(sitemaps.news_sitemap), name="sitemap-news"),
    path("sitemap-<slug:section>.xml", cacheable(sitemaps.sitemap_section), name="sitemap-section"),
    path("feed/", feeds.ArticlesFeed(), name="feed"),
    path("feed/atom/", feeds.atom(feeds.ArticlesFeed)(), name="feed-atom"),
    path("section/<str:slug>/feed/", feeds.SectionFeed(), name="section-feed"),
    path(
        "section/<str:slug>/feed/atom/", feeds.atom(feeds.SectionFeed)(), name="section-feed-atom"
    ),
    path("tag/<str:slug>/feed/", feeds.TagFeed(), name="tag-feed"),
    path("tag/<str:slug>/feed/atom/", feeds.atom(feeds.TagFeed)(), name="tag-feed-atom"),
    path("author/<str:slug>/feed/", feeds.AuthorFeed(), name="author-feed"),
    path("author/<str:slug>/feed/atom/", feeds.atom(feeds.AuthorFeed)(), name="author-feed-atom"),
    path(
        "articles/<str:slug>/comments/feed/",
        feeds.ArticleCommentsFeed(),
        name="comments-feed",
    ),
    path(
        "articles/<str:slug>/comments/feed/atom/",
        feeds.atom(feeds.ArticleCommentsFeed)(),
        name="comments-feed-atom",
    ),
]
