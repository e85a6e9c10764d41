<?php
/**
 * A throwaway WordPress, driven from the command line for Byline's round-trip tests.
 *
 * Written for Byline (not taken from WordPress or its importer plugin): it boots the
 * WordPress that Debian's `wordpress` package installs, against a MariaDB database
 * named in the environment, and does one thing per call, answering JSON on stdout:
 *
 *   php harness.php install            a fresh site (drops and recreates its database)
 *   php harness.php drop               drops the database
 *   php harness.php import FILE.xml    read a WXR file and store it through WordPress's API
 *                                      (wp_insert_user/term/post/comment), the way the
 *                                      importer plugin does: ids kept with import_id,
 *                                      parents before children, comment parents remapped
 *   php harness.php dump               what the site holds: posts, terms, users, comments,
 *                                      and what an anonymous reader is shown of each post
 *   php harness.php seed < in.json     a newsroom's content (the bodies given, a thread eight
 *                                      deep, password, sticky, draft, private, pages, a menu, terms)
 *   php harness.php export FILE.xml    WordPress's own exporter (export_wp(), in core)
 *   php harness.php render < in.json   WordPress's own rendering (the_content filters) of
 *                                      {"name": "post_content", ...}; attachments listed
 *                                      under "_attachments" become children of each post
 *
 * Environment: WP_ROOT (/usr/share/wordpress), WP_DB_NAME, WP_DB_HOST (127.0.0.1:3306),
 * WP_DB_USER (root), WP_DB_PASSWORD (empty).
 */

error_reporting(E_ALL & ~E_DEPRECATED & ~E_NOTICE & ~E_WARNING);
$command = $argv[1] ?? '';
$root = rtrim(getenv('WP_ROOT') ?: '/usr/share/wordpress', '/') . '/';

define('DB_NAME', getenv('WP_DB_NAME') ?: 'wp_byline_test');
define('DB_USER', getenv('WP_DB_USER') ?: 'root');
define('DB_PASSWORD', getenv('WP_DB_PASSWORD') ?: '');
define('DB_HOST', getenv('WP_DB_HOST') ?: '127.0.0.1:3306');
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
define('ABSPATH', $root);
define('WP_SITEURL', 'http://wordpress.test');
define('WP_HOME', 'http://wordpress.test');
define('WP_CONTENT_DIR', $root . 'wp-content');
define('WP_DEBUG', false);
define('DISABLE_WP_CRON', true);
define('AUTOMATIC_UPDATER_DISABLED', true);
define('WP_HTTP_BLOCK_EXTERNAL', true);
foreach (['AUTH_KEY', 'SECURE_AUTH_KEY', 'LOGGED_IN_KEY', 'NONCE_KEY', 'AUTH_SALT',
          'SECURE_AUTH_SALT', 'LOGGED_IN_SALT', 'NONCE_SALT'] as $key) {
    define($key, 'byline-roundtrip-' . $key);
}
$table_prefix = 'wp_';
$_SERVER['HTTP_HOST'] = 'wordpress.test';
$_SERVER['SERVER_NAME'] = 'wordpress.test';
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PROTOCOL'] = 'HTTP/1.1';
$_SERVER['REQUEST_METHOD'] = 'GET';

if ($command === 'install' || $command === 'drop') {
    define('WP_INSTALLING', true);
    $link = mysqli_init();
    [$host, $port] = array_pad(explode(':', DB_HOST), 2, 3306);
    mysqli_real_connect($link, $host, DB_USER, DB_PASSWORD, '', (int) $port);
    mysqli_query($link, 'DROP DATABASE IF EXISTS `' . DB_NAME . '`');
    if ($command === 'drop') {
        echo json_encode(['dropped' => DB_NAME]), "\n";
        exit(0);
    }
    mysqli_query($link, 'CREATE DATABASE `' . DB_NAME . '` CHARACTER SET utf8mb4');
    mysqli_close($link);
}

require ABSPATH . 'wp-settings.php';
add_filter('pre_wp_mail', '__return_false');  // no mail server here
// No network: oEmbed providers and update checks fail at once instead of waiting.
add_filter('pre_http_request', function () {
    return new WP_Error('http_request_failed', 'no network in tests');
}, 1);

function answer($value) {
    echo json_encode($value, JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE | JSON_PRETTY_PRINT), "\n";
    exit(0);
}

function fail($message) {
    fwrite(STDERR, $message . "\n");
    exit(2);
}

if ($command === 'install') {
    require_once ABSPATH . 'wp-admin/includes/upgrade.php';
    $result = wp_install('Round trip', 'admin', 'admin@wordpress.test', false, '', 'admin-password');
    update_option('permalink_structure', '/%year%/%monthnum%/%day%/%postname%/');
    update_option('thread_comments', 1);
    update_option('thread_comments_depth', 10);
    answer(['installed' => get_bloginfo('version'), 'user_id' => $result['user_id']]);
}

function wp_text($node, $ns, $name) {
    $children = $node->children($ns);
    return isset($children->$name) ? (string) $children->$name : '';
}

if ($command === 'import') {
    require_once ABSPATH . 'wp-admin/includes/post.php';
    require_once ABSPATH . 'wp-admin/includes/user.php';
    $file = $argv[2] ?? fail('import FILE');
    $xml = simplexml_load_file($file, 'SimpleXMLElement', LIBXML_NOCDATA | LIBXML_PARSEHUGE);
    if (!$xml) {
        fail("$file: not XML");
    }
    $namespaces = $xml->getDocNamespaces();
    $wp = $namespaces['wp'] ?? 'http://wordpress.org/export/1.2/';
    $content_ns = $namespaces['content'] ?? 'http://purl.org/rss/1.0/modules/content/';
    $excerpt_ns = $namespaces['excerpt'] ?? 'http://wordpress.org/export/1.2/excerpt/';
    $dc = $namespaces['dc'] ?? 'http://purl.org/dc/elements/1.1/';
    $channel = $xml->channel;
    $users = [];
    $counts = ['authors' => 0, 'categories' => 0, 'tags' => 0, 'posts' => 0, 'comments' => 0];
    $errors = [];
    foreach ($channel->children($wp)->author as $author) {
        $login = (string) $author->author_login;
        $existing = get_user_by('login', $login);
        $id = $existing ? $existing->ID : wp_insert_user([
            'user_login' => $login,
            'user_email' => (string) $author->author_email,
            'display_name' => (string) $author->author_display_name,
            'first_name' => (string) $author->author_first_name,
            'last_name' => (string) $author->author_last_name,
            'user_pass' => wp_generate_password(),
            'role' => 'author',
        ]);
        if (is_wp_error($id)) {
            $errors[] = "author $login: " . $id->get_error_message();
            continue;
        }
        $users[$login] = $id;
        $counts['authors']++;
    }
    foreach ($channel->children($wp)->category as $category) {
        $parent = (string) $category->category_parent;
        $parent_term = $parent ? get_term_by('slug', $parent, 'category') : null;
        $made = wp_insert_term((string) $category->cat_name, 'category', [
            'slug' => (string) $category->category_nicename,
            'description' => (string) $category->category_description,
            'parent' => $parent_term ? $parent_term->term_id : 0,
        ]);
        is_wp_error($made) ? $errors[] = 'category: ' . $made->get_error_message() : $counts['categories']++;
    }
    foreach ($channel->children($wp)->tag as $tag) {
        $made = wp_insert_term((string) $tag->tag_name, 'post_tag', ['slug' => (string) $tag->tag_slug]);
        is_wp_error($made) ? $errors[] = 'tag: ' . $made->get_error_message() : $counts['tags']++;
    }
    $admin = get_user_by('login', 'admin')->ID;
    foreach ($channel->item as $item) {
        $w = $item->children($wp);
        $creator = (string) $item->children($dc)->creator;
        $data = [
            'import_id' => (int) $w->post_id,
            'post_author' => $users[$creator] ?? $admin,
            'post_date' => (string) $w->post_date,
            'post_date_gmt' => (string) $w->post_date_gmt,
            'post_content' => (string) $item->children($content_ns)->encoded,
            'post_excerpt' => (string) $item->children($excerpt_ns)->encoded,
            'post_title' => (string) $item->title,
            'post_status' => (string) $w->status,
            'post_name' => (string) $w->post_name,
            'comment_status' => (string) $w->comment_status,
            'ping_status' => (string) $w->ping_status,
            'guid' => (string) $item->guid,
            'post_parent' => (int) $w->post_parent,
            'menu_order' => (int) $w->menu_order,
            'post_type' => (string) $w->post_type,
            'post_password' => (string) $w->post_password,
        ];
        $post_id = wp_insert_post(wp_slash($data), true);
        if (is_wp_error($post_id)) {
            $errors[] = "post {$data['import_id']}: " . $post_id->get_error_message();
            continue;
        }
        $counts['posts']++;
        if ((int) $w->is_sticky === 1) {
            stick_post($post_id);
        }
        $terms = ['category' => [], 'post_tag' => []];
        foreach ($item->category as $category) {
            $domain = (string) $category['domain'];
            $slug = (string) $category['nicename'];
            if (!isset($terms[$domain])) {
                continue;
            }
            $term = get_term_by('slug', $slug, $domain);
            if (!$term) {
                $made = wp_insert_term((string) $category, $domain, ['slug' => $slug]);
                $term = is_wp_error($made) ? null : get_term($made['term_id'], $domain);
            }
            if ($term) {
                $terms[$domain][] = (int) $term->term_id;
            }
        }
        foreach ($terms as $taxonomy => $ids) {
            if ($ids) {
                wp_set_post_terms($post_id, $ids, $taxonomy);
            }
        }
        $inserted = [];
        $comments = [];
        foreach ($w->comment as $comment) {
            $comments[] = $comment;
        }
        // Parents first, whatever the file's order (a parent's id is smaller, or it is known).
        usort($comments, function ($a, $b) {
            return (int) $a->comment_id <=> (int) $b->comment_id;
        });
        foreach ($comments as $comment) {
            $old_parent = (int) $comment->comment_parent;
            $new_id = wp_insert_comment(wp_slash([
                'comment_post_ID' => $post_id,
                'comment_author' => (string) $comment->comment_author,
                'comment_author_email' => (string) $comment->comment_author_email,
                'comment_author_url' => (string) $comment->comment_author_url,
                'comment_author_IP' => (string) $comment->comment_author_IP,
                'comment_date' => (string) $comment->comment_date,
                'comment_date_gmt' => (string) $comment->comment_date_gmt,
                'comment_content' => (string) $comment->comment_content,
                'comment_approved' => (string) $comment->comment_approved,
                'comment_type' => (string) $comment->comment_type,
                'comment_parent' => $old_parent ? ($inserted[$old_parent] ?? 0) : 0,
                'comment_meta' => ['byline_comment_id' => (int) $comment->comment_id],
            ]));
            if (!$new_id) {
                $errors[] = "comment {$comment->comment_id} refused";
                continue;
            }
            $inserted[(int) $comment->comment_id] = $new_id;
            $counts['comments']++;
        }
    }
    answer(['counts' => $counts, 'errors' => $errors]);
}

if ($command === 'dump') {
    wp_set_current_user(0);  // an anonymous reader
    $posts = [];
    $query = get_posts(['post_type' => ['post', 'page'], 'post_status' => 'any', 'numberposts' => -1,
                        'orderby' => 'ID', 'order' => 'ASC']);
    foreach ($query as $post) {
        $GLOBALS['post'] = $post;
        setup_postdata($post);
        $comments = [];
        foreach (get_comments(['post_id' => $post->ID, 'status' => 'all', 'orderby' => 'comment_ID', 'order' => 'ASC']) as $comment) {
            $comments[] = [
                'id' => (int) $comment->comment_ID,
                'byline_id' => (int) get_comment_meta($comment->comment_ID, 'byline_comment_id', true),
                'parent' => (int) $comment->comment_parent,
                'author' => $comment->comment_author,
                'approved' => $comment->comment_approved,
                'content' => $comment->comment_content,
            ];
        }
        $author = get_userdata($post->post_author);
        $posts[] = [
            'id' => $post->ID,
            'type' => $post->post_type,
            'title' => $post->post_title,
            'slug' => $post->post_name,
            'status' => $post->post_status,
            'password' => $post->post_password,
            'password_required' => post_password_required($post),
            'shown_content' => apply_filters('the_content', get_the_content(null, false, $post)),
            'sticky' => is_sticky($post->ID),
            'author' => $author ? $author->user_login : '',
            'author_name' => $author ? $author->display_name : '',
            'categories' => wp_get_post_terms($post->ID, 'category', ['fields' => 'slugs']),
            'tags' => wp_get_post_terms($post->ID, 'post_tag', ['fields' => 'slugs']),
            'comments' => $comments,
        ];
    }
    $categories = [];
    foreach (get_terms(['taxonomy' => 'category', 'hide_empty' => false]) as $term) {
        $parent = $term->parent ? get_term($term->parent, 'category') : null;
        $categories[$term->slug] = ['name' => $term->name, 'parent' => $parent ? $parent->slug : ''];
    }
    $tags = [];
    foreach (get_terms(['taxonomy' => 'post_tag', 'hide_empty' => false]) as $term) {
        $tags[$term->slug] = $term->name;
    }
    $users = [];
    foreach (get_users() as $user) {
        $users[$user->user_login] = $user->display_name;
    }
    answer(['version' => get_bloginfo('version'), 'posts' => $posts, 'categories' => $categories,
            'tags' => $tags, 'users' => $users]);
}

if ($command === 'render') {
    $input = json_decode(stream_get_contents(STDIN), true) ?: [];
    $attached = $input['_attachments'] ?? [];  // children of every rendered post
    $library = $input['_library'] ?? [];       // {"id": url}: attachments with those ids
    unset($input['_attachments'], $input['_library']);
    // Attachments here have no file on disk: their address is their guid.
    add_filter('wp_get_attachment_url', function ($url, $id) {
        return get_post($id)->guid;
    }, 10, 2);
    $attach = function ($url, $parent, $order, $id = 0) {
        $made = wp_insert_attachment(['import_id' => $id, 'post_title' => basename($url),
                                      'post_mime_type' => 'image/jpeg', 'guid' => $url,
                                      'post_status' => 'inherit', 'menu_order' => $order],
                                     false, $parent);
        update_post_meta($made, '_wp_attached_file', basename($url));
        update_post_meta($made, '_wp_attachment_metadata',
                         ['width' => 800, 'height' => 600, 'file' => basename($url), 'sizes' => []]);
        return $made;
    };
    foreach ($library as $id => $url) {
        $attach($url, 0, 0, (int) $id);
    }
    $out = [];
    foreach ($input as $name => $content) {
        $post_id = wp_insert_post(['post_title' => $name, 'post_status' => 'publish',
                                   'post_content' => wp_slash($content)]);
        foreach ($attached as $i => $url) {
            $attach($url, $post_id, $i);
        }
        $post = get_post($post_id);
        $GLOBALS['post'] = $post;
        setup_postdata($post);
        $GLOBALS['more'] = 1;  // the whole post, as on its own page
        $out[$name] = implode("\n", array_map(function ($page) use ($post) {
            return apply_filters('the_content', get_the_content(null, false, $post) === '' ? '' : $page);
        }, $GLOBALS['pages']));
    }
    answer($out);
}

if ($command === 'seed') {
    // A newsroom's WordPress: nested categories, tags, two authors, block and classic
    // posts, a password post, a sticky post, a draft, a private post, two pages (one in a
    // menu), and a
    // comment thread eight levels deep (WordPress's own limit set to 10).
    $input = json_decode(stream_get_contents(STDIN), true) ?: [];
    $editor = wp_insert_user(['user_login' => 'maria', 'user_pass' => wp_generate_password(),
                              'display_name' => 'María Ortega', 'user_email' => 'maria@wordpress.test',
                              'role' => 'author']);
    $news = wp_insert_term('News', 'category', ['slug' => 'news']);
    $courts = wp_insert_term('Courts', 'category', ['slug' => 'courts', 'parent' => $news['term_id']]);
    $appeals = wp_insert_term('Appeals', 'category', ['slug' => 'appeals', 'parent' => $courts['term_id']]);
    wp_insert_term('Unused', 'category', ['slug' => 'unused']);
    wp_insert_term('Never used tag', 'post_tag', ['slug' => 'never-used']);
    $ids = [];
    $i = 0;
    foreach ($input as $name => $content) {
        $i++;
        $ids[$name] = wp_insert_post(wp_slash([
            'post_title' => 'Story ' . $name, 'post_name' => str_replace('_', '-', $name),
            'post_content' => $content, 'post_status' => 'publish',
            'post_author' => $i % 2 ? 1 : $editor,
            'post_date' => sprintf('2024-05-%02d 10:00:00', $i),
            'post_category' => [$i % 3 ? $appeals['term_id'] : $news['term_id']],
            'tags_input' => ['floods', 'council'],
        ]));
    }
    $first = reset($ids);
    stick_post($first);
    $secret = wp_insert_post(['post_title' => 'Budget papers', 'post_name' => 'budget-papers',
                              'post_content' => 'The confidential figures.', 'post_status' => 'publish',
                              'post_password' => 'harbour', 'post_category' => [$courts['term_id']]]);
    wp_insert_comment(['comment_post_ID' => $secret, 'comment_author' => 'Member',
                       'comment_content' => 'Only members read this.', 'comment_approved' => 1]);
    wp_insert_post(['post_title' => 'Unfinished', 'post_name' => 'unfinished', 'post_status' => 'draft',
                    'post_content' => 'Not yet.']);
    wp_insert_post(['post_title' => 'Private note', 'post_name' => 'private-note', 'post_status' => 'private',
                    'post_content' => 'Staff only.']);
    $about = wp_insert_post(['post_title' => 'About us', 'post_name' => 'about', 'post_type' => 'page',
                    'post_status' => 'publish', 'post_content' => '<!-- wp:paragraph --><p>Who we are.</p><!-- /wp:paragraph -->']);
    wp_insert_post(['post_title' => 'Contact', 'post_name' => 'contact', 'post_type' => 'page',
                    'post_status' => 'publish', 'post_content' => 'Write to us.']);
    // A menu as Appearance > Menus makes it: About us and a custom link; Contact is in none.
    $menu = wp_create_nav_menu('Footer');
    wp_update_nav_menu_item($menu, 0, ['menu-item-object-id' => $about, 'menu-item-object' => 'page',
                                       'menu-item-type' => 'post_type', 'menu-item-status' => 'publish']);
    wp_update_nav_menu_item($menu, 0, ['menu-item-title' => 'Newsletter', 'menu-item-type' => 'custom',
                                       'menu-item-url' => 'https://wordpress.test/newsletter/',
                                       'menu-item-status' => 'publish']);
    $parent = 0;
    for ($level = 0; $level < 8; $level++) {
        $parent = wp_insert_comment(['comment_post_ID' => $first, 'comment_parent' => $parent,
                                     'comment_author' => "Reader $level",
                                     'comment_author_email' => "reader$level@example.org",
                                     'comment_date' => sprintf('2024-05-20 10:%02d:00', $level),
                                     'comment_date_gmt' => sprintf('2024-05-20 10:%02d:00', $level),
                                     'comment_content' => "<p>Level $level.</p><ul><li>one</li><li>two</li></ul>",
                                     'comment_approved' => 1]);
    }
    wp_insert_comment(['comment_post_ID' => $first, 'comment_author' => 'Held',
                       'comment_content' => 'Waiting.', 'comment_approved' => 0]);
    answer(['posts' => count($ids) + 3, 'pages' => 2]);
}

if ($command === 'export') {
    require_once ABSPATH . 'wp-admin/includes/export.php';
    wp_set_current_user(1);
    ob_start();
    export_wp(['content' => 'all']);
    $xml = ob_get_clean();
    file_put_contents($argv[2] ?? fail('export FILE'), $xml);
    answer(['bytes' => strlen($xml)]);
}

fail('usage: harness.php install|drop|import FILE|dump|render|seed|export FILE');
