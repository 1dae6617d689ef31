"""Community needs (社区需求) recorded by staff and grid stewards (铺掌柜), answered by projects."""
